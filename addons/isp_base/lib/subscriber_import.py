"""Reading and validating subscriber + subscription rows imported from CSV or XLSX files.

Readers return one dict per data row, keyed by every name in TEMPLATE_COLUMNS (absent
columns give ""). Blank rows in the middle of a sheet are kept so that the list index maps
to the spreadsheet row (index + 2); validate_rows skips them.
"""

import csv
import datetime
import io
import ipaddress
import re
from dataclasses import dataclass, field

from . import identity, phone

__all__ = [
    "CONNECTION_TYPES",
    "DATE_COLUMNS",
    "EXAMPLE_ROW",
    "REQUIRED_COLUMNS",
    "TEMPLATE_COLUMNS",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "ValidRow",
    "build_template_csv",
    "build_template_xlsx",
    "export_csv",
    "export_xlsx",
    "normalize_connection_type",
    "normalize_mac",
    "parse_date",
    "read_csv",
    "read_xlsx",
    "validate_rows",
]

TEMPLATE_COLUMNS = (
    "name",
    "mobile",
    "email",
    "nid",
    "birth_registration",
    "passport",
    "father_name",
    "mother_name",
    "date_of_birth",
    "zone",
    "division",
    "district",
    "thana",
    "area",
    "street",
    "package",
    "username",
    "password",
    "connection_type",
    "mac_address",
    "ipv4_address",
    "activation_date",
    "expiry_date",
)
REQUIRED_COLUMNS = ("name", "mobile", "zone", "package", "username")
DATE_COLUMNS = ("date_of_birth", "activation_date", "expiry_date")
FIRST_DATA_ROW = 2  # spreadsheet row of the first data row; the header is row 1

CONNECTION_TYPES = (
    ("pppoe", "PPPoE"),
    ("hotspot", "Hotspot"),
    ("static", "Static IP"),
    ("bulk", "Bulk"),
    ("cable_tv", "Cable TV"),
    ("other", "Other"),
)
DEFAULT_CONNECTION_TYPE = "pppoe"
# Spellings seen in the wild, compared after lowercasing and folding '-', '_' and spaces.
_CONNECTION_ALIASES = {
    "pppoe": "pppoe",
    "ppp": "pppoe",
    "hotspot": "hotspot",
    "hot spot": "hotspot",
    "static": "static",
    "static ip": "static",
    "bulk": "bulk",
    "bulk bandwidth": "bulk",
    "cable tv": "cable_tv",
    "cabletv": "cable_tv",
    "catv": "cable_tv",
    "other": "other",
    "others": "other",
}

_USERNAME = re.compile(r"[A-Za-z0-9._@-]{3,64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_MAC_PATTERNS = (
    re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}"),
    re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"),
    re.compile(r"[0-9A-Fa-f]{12}"),
)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_MAX_FUTURE_ACTIVATION = datetime.timedelta(days=365)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

EXAMPLE_ROW = {
    "name": "Md. Rakibul Hasan",
    "mobile": "01712345678",
    "email": "rakib.hasan@example.com",
    "nid": "1234567890",
    "birth_registration": "",
    "passport": "",
    "father_name": "Abdul Karim",
    "mother_name": "Rokeya Begum",
    "date_of_birth": datetime.date(1990, 5, 14),
    "zone": "Mirpur",
    "division": "Dhaka",
    "district": "Dhaka",
    "thana": "Mirpur Model",
    "area": "Section 10",
    "street": "House 12, Road 5",
    "package": "Home 10 Mbps",
    "username": "rakib.mir1001",
    "password": "Xk7pQ2mA9v",
    "connection_type": "pppoe",
    "mac_address": "",
    "ipv4_address": "",
    "activation_date": datetime.date(2025, 1, 15),
    "expiry_date": datetime.date(2025, 2, 14),
}

# column -> (description, accepted formats) for the "Instructions" sheet
_COLUMN_HELP = {
    "name": ("Full name of the subscriber.", "Text, English or Bangla."),
    "mobile": (
        "Mobile number; rows with the same mobile are the same subscriber.",
        "01XXXXXXXXX, +8801XXXXXXXXX or 8801XXXXXXXXX; spaces and dashes allowed.",
    ),
    "email": ("E-mail address.", "name@example.com"),
    "nid": ("National ID card number.", "10, 13 or 17 digits."),
    "birth_registration": ("Birth registration number.", "17 digits starting with birth year."),
    "passport": ("Passport number.", "1 or 2 letters then 7 digits, e.g. EB0123456."),
    "father_name": ("Father's name.", "Text."),
    "mother_name": ("Mother's name.", "Text."),
    "date_of_birth": ("Date of birth.", "YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY."),
    "zone": ("Service zone, by name or code.", "Must match an existing zone."),
    "division": ("Division of the address.", "Text, e.g. Dhaka."),
    "district": ("District of the address.", "Text, e.g. Dhaka."),
    "thana": ("Thana / upazila of the address.", "Text, e.g. Mirpur Model."),
    "area": ("Area, section or block.", "Text, e.g. Section 10."),
    "street": ("House and road.", "Text, e.g. House 12, Road 5."),
    "package": ("Internet package, by name or code.", "Must match an existing package."),
    "username": (
        "Login (PPPoE/hotspot user name); unique.",
        "3-64 characters: letters, digits and . _ @ -",
    ),
    "password": ("Login password; leave blank to generate one.", "Text."),
    "connection_type": (
        "Kind of connection; blank means PPPoE.",
        "pppoe, hotspot, static, bulk, cable_tv or other (labels like 'Static IP' work).",
    ),
    "mac_address": (
        "MAC address to bind the connection to.",
        "AA:BB:CC:DD:EE:FF, AA-BB-CC-DD-EE-FF, AABB.CCDD.EEFF or AABBCCDDEEFF.",
    ),
    "ipv4_address": ("Static IPv4 address.", "e.g. 10.50.0.10"),
    "activation_date": (
        "Date the subscription started.",
        "YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY; at most one year ahead.",
    ),
    "expiry_date": (
        "Date the current period ends; must be after activation_date.",
        "YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY.",
    ),
}

# Columns Excel would mangle if typed as numbers (leading zeros, 17-digit precision).
_TEXT_COLUMNS = ("mobile", "nid", "birth_registration", "passport", "username", "password")


class ImportFileError(ValueError):
    """Raised when an import file cannot be read or its header is wrong."""


@dataclass
class ValidRow:
    """A row that passed validation: spreadsheet row number and cleaned values."""

    row: int
    data: dict


@dataclass
class RowError:
    """All problems found in one spreadsheet row."""

    row: int
    messages: list[str]


@dataclass
class ImportResult:
    """Outcome of validate_rows."""

    valid: list[ValidRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def ok(self) -> bool:
        """Tell whether every non-blank row is valid."""
        return not self.errors


# ---------------------------------------------------------------------------- reading files


def _column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_value(value, column: str):
    """Turn a raw cell into a stripped string, keeping date objects for date columns."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    if isinstance(value, (datetime.date, datetime.datetime)):
        if column in DATE_COLUMNS:
            return value
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        # Numbers typed into Excel come back as floats: 1712345678.0 -> "1712345678".
        return str(int(value))
    return str(value).strip()


def _rows_from_table(table: list) -> list[dict]:
    """Check the header of *table* (a list of row sequences) and return its rows as dicts."""
    while table and all(_is_blank(v) for v in table[-1]):
        table.pop()
    if not table:
        raise ImportFileError("The file is empty: expected a header row.")
    header = [("" if v is None else str(v)).strip().lower() for v in table[0]]
    body = table[1:]
    problems = []
    positions = {}
    duplicates = []
    for index, name in enumerate(header):
        if not name:
            continue
        if name in positions:
            duplicates.append(name)
        positions[name] = index
    unknown = [name for name in positions if name not in TEMPLATE_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        problems.append(f"required column(s) missing: {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    if duplicates:
        problems.append(f"duplicate column(s): {', '.join(sorted(set(duplicates)))}")
    unnamed = set()
    for values in body:
        for index, value in enumerate(values):
            if (index >= len(header) or not header[index]) and not _is_blank(value):
                unnamed.add(index)
    if unnamed:
        letters = ", ".join(_column_letter(i) for i in sorted(unnamed))
        problems.append(f"column(s) {letters} have values but no header")
    if problems:
        raise ImportFileError("Invalid header: " + "; ".join(problems) + ".")
    rows = []
    for values in body:
        row = {}
        for column in TEMPLATE_COLUMNS:
            index = positions.get(column)
            raw = values[index] if index is not None and index < len(values) else None
            row[column] = _cell_value(raw, column)
        rows.append(row)
    return rows


def read_csv(data: bytes) -> list[dict]:
    """Read a UTF-8 CSV (BOM optional); raise ImportFileError for unreadable data or header."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"read_csv expects bytes, not {type(data).__name__}.")
    data = bytes(data).removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (undecodable byte on line {line}); save it as 'CSV UTF-8'."
        ) from None
    if not text.strip():
        raise ImportFileError("The file is empty: expected a header row.")
    first_line = text.splitlines()[0]
    delimiter = ","
    # Excel in some locales writes ';'-separated "CSV".
    if "," not in first_line:
        for candidate in (";", "\t"):
            if candidate in first_line:
                delimiter = candidate
                break
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.") from None
    return _rows_from_table(table)


def read_xlsx(data: bytes) -> list[dict]:
    """Read the first sheet of an XLSX workbook; raise ImportFileError like read_csv."""
    import openpyxl  # imported lazily: only needed for spreadsheets

    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"read_xlsx expects bytes, not {type(data).__name__}.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl raises zipfile, KeyError, XML and assorted other errors on junk input.
    except Exception:
        raise ImportFileError("The file is not a valid XLSX workbook.") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("The workbook has no sheets.")
        sheet = workbook.worksheets[0]
        # Some writers store a wrong used range; read everything that is really there.
        sheet.reset_dimensions()
        table = [list(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _rows_from_table(table)


# ------------------------------------------------------------------------------- templates


def _template_value(column: str):
    value = EXAMPLE_ROW[column]
    return value.isoformat() if isinstance(value, datetime.date) else value


def _csv_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else value


def export_csv(rows) -> bytes:
    """Return *rows* (dicts keyed by TEMPLATE_COLUMNS) as CSV that read_csv reads back."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in TEMPLATE_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def build_template_csv() -> bytes:
    """Return the import template as CSV: header and one example row, UTF-8 with BOM."""
    return export_csv([{c: _template_value(c) for c in TEMPLATE_COLUMNS}])


def _write_subscribers_sheet(workbook, rows):
    bold = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("Subscribers")
    for col, column in enumerate(TEMPLATE_COLUMNS):
        width = max(len(column), len(str(_template_value(column)))) + 4
        cell_format = text if column in _TEXT_COLUMNS else date if column in DATE_COLUMNS else None
        sheet.set_column(col, col, width, cell_format)
        sheet.write_string(0, col, column, bold)
    for row_index, row in enumerate(rows, start=1):
        for col, column in enumerate(TEMPLATE_COLUMNS):
            value = row.get(column)
            if isinstance(value, datetime.date):
                if not isinstance(value, datetime.datetime):
                    value = datetime.datetime.combine(value, datetime.time())
                sheet.write_datetime(row_index, col, value, date)
            elif value not in (None, ""):
                sheet.write_string(row_index, col, str(value))
    sheet.freeze_panes(1, 0)
    conn_col = TEMPLATE_COLUMNS.index("connection_type")
    sheet.data_validation(
        1,
        conn_col,
        max(10000, len(rows) + 1),
        conn_col,
        {"validate": "list", "source": [key for key, _label in CONNECTION_TYPES]},
    )
    return bold


def export_xlsx(rows) -> bytes:
    """Return *rows* (dicts keyed by TEMPLATE_COLUMNS) as XLSX that read_xlsx reads back."""
    import xlsxwriter  # imported lazily: only needed for spreadsheets

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    _write_subscribers_sheet(workbook, list(rows))
    workbook.close()
    return buffer.getvalue()


def build_template_xlsx() -> bytes:
    """Return the import template as XLSX with an example row and an Instructions sheet."""
    import xlsxwriter  # imported lazily: only needed for spreadsheets

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    bold = _write_subscribers_sheet(workbook, [EXAMPLE_ROW])

    help_sheet = workbook.add_worksheet("Instructions")
    help_sheet.set_column(0, 0, 22)
    help_sheet.set_column(1, 1, 10)
    help_sheet.set_column(2, 3, 60, wrap)
    for col, title in enumerate(("Column", "Required", "Description", "Accepted formats")):
        help_sheet.write_string(0, col, title, bold)
    for row, column in enumerate(TEMPLATE_COLUMNS, start=1):
        description, formats = _COLUMN_HELP[column]
        help_sheet.write_string(row, 0, column)
        help_sheet.write_string(row, 1, "Yes" if column in REQUIRED_COLUMNS else "No")
        help_sheet.write_string(row, 2, description)
        help_sheet.write_string(row, 3, formats)
    notes_row = len(TEMPLATE_COLUMNS) + 2
    notes = (
        "Fill one row per subscription, starting at row 2 of the Subscribers sheet.",
        "A subscriber with several subscriptions takes several rows with the same mobile.",
        "Keep the header row as it is; columns that are not required may be removed.",
        "Zone and package are matched by name or code, ignoring case.",
        "Type mobile and ID numbers as text so that Excel keeps leading zeros.",
    )
    help_sheet.write_string(notes_row, 0, "Notes", bold)
    for offset, note in enumerate(notes, start=1):
        help_sheet.write_string(notes_row + offset, 0, note)
    workbook.close()
    return buffer.getvalue()


# ------------------------------------------------------------------------------ validation


def parse_date(value) -> datetime.date:
    """Parse a date object or YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY text; raise ValueError."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = phone.to_ascii_digits(str(value).strip())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a valid date; use YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY.")


def normalize_connection_type(value) -> str:
    """Return the connection type key for a key or label; blank gives 'pppoe'."""
    if _is_blank(value):
        return DEFAULT_CONNECTION_TYPE
    folded = re.sub(r"[\s_\-]+", " ", str(value).strip().lower())
    try:
        return _CONNECTION_ALIASES[folded]
    except KeyError:
        keys = ", ".join(key for key, _label in CONNECTION_TYPES)
        raise ValueError(f"Unknown connection type {value!r}; expected one of {keys}.") from None


def normalize_mac(value) -> str:
    """Return a MAC address as AA:BB:CC:DD:EE:FF; raise ValueError if malformed."""
    text = str(value).strip()
    if not any(pattern.fullmatch(text) for pattern in _MAC_PATTERNS):
        raise ValueError(f"MAC address {value!r} is malformed; expected e.g. AA:BB:CC:DD:EE:FF.")
    hexdigits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2))


def _normalize_ipv4(value) -> str:
    text = str(value).strip()
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError(f"IPv4 address {value!r} is malformed.") from None
    if address.is_unspecified or address.is_loopback or address.is_multicast:
        raise ValueError(f"IPv4 address {value!r} cannot be assigned to a subscriber.")
    return str(address)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return " ".join(str(value).split())


def _lookup_key(value) -> str:
    return _text(value).lower()


def _name_key(value) -> str:
    return _text(value).casefold()


def _normalized_mobiles(values) -> set[str]:
    result = set()
    for value in values or ():
        try:
            result.add(phone.normalize_bd_mobile(value))
        except phone.InvalidPhone:
            continue  # a bad number on file cannot collide with a valid imported one
    return result


def validate_rows(
    rows,
    *,
    known_packages: dict[str, str],
    known_zones: dict[str, str],
    existing_usernames: set[str],
    existing_mobiles: set[str] | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Validate imported rows, collecting every problem of every row.

    *known_packages* and *known_zones* map lowercased names/codes to caller keys;
    *existing_usernames* holds lowercased logins already taken. A mobile in
    *existing_mobiles* (any format) is an error; rows of the file sharing a mobile are the
    same subscriber and must carry the same name. Absent optional values are None.
    """
    today = today or datetime.date.today()
    taken_usernames = {u.lower() for u in existing_usernames}
    taken_mobiles = _normalized_mobiles(existing_mobiles)
    seen_usernames: dict[str, int] = {}
    seen_mobiles: dict[str, tuple[int, str]] = {}
    seen_ips: dict[str, int] = {}
    seen_macs: dict[str, int] = {}
    result = ImportResult()

    for index, row in enumerate(rows):
        row_number = index + FIRST_DATA_ROW
        if all(_is_blank(value) for value in row.values()):
            continue
        errors: list[str] = []
        clean: dict = {}

        def text(column, _row=row):
            return _text(_row.get(column))

        for column in REQUIRED_COLUMNS:
            if not text(column):
                errors.append(f"{column} is required.")

        clean["name"] = text("name") or None
        for column in ("father_name", "mother_name", "division", "district", "thana"):
            clean[column] = text(column) or None
        clean["area"] = text("area") or None
        clean["street"] = text("street") or None

        clean["mobile"] = None
        if text("mobile"):
            try:
                clean["mobile"] = phone.normalize_bd_mobile(text("mobile"))
            except phone.InvalidPhone as exc:
                errors.append(f"mobile: {exc}")
        mobile = clean["mobile"]
        if mobile:
            if mobile in taken_mobiles:
                errors.append(f"mobile: {mobile} already belongs to an existing subscriber.")
            elif mobile in seen_mobiles:
                first_row, first_name = seen_mobiles[mobile]
                if clean["name"] and _name_key(first_name) != _name_key(clean["name"]):
                    errors.append(
                        f"mobile: {mobile} is used in row {first_row} by a different "
                        f"subscriber ({first_name!r})."
                    )
            elif clean["name"]:
                seen_mobiles[mobile] = (row_number, clean["name"])

        clean["email"] = None
        if text("email"):
            email = text("email").lower()
            if _EMAIL.fullmatch(email):
                clean["email"] = email
            else:
                errors.append(f"email: {text('email')!r} is not a valid e-mail address.")

        for column, kind in (("nid", "nid"), ("birth_registration", "birth_reg")):
            clean[column] = None
            if text(column):
                try:
                    clean[column] = identity.normalize_identity(kind, text(column), today=today)
                except identity.InvalidIdentity as exc:
                    errors.append(f"{column}: {exc}")
        clean["passport"] = None
        if text("passport"):
            try:
                clean["passport"] = identity.normalize_passport(text("passport"))
            except identity.InvalidIdentity as exc:
                errors.append(f"passport: {exc}")

        for column in DATE_COLUMNS:
            clean[column] = None
            value = row.get(column)
            if _is_blank(value):
                continue
            try:
                clean[column] = parse_date(value)
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
        birth, activation, expiry = (clean[c] for c in DATE_COLUMNS)
        if birth and birth > today:
            errors.append(f"date_of_birth: {birth.isoformat()} is in the future.")
        elif birth and birth.year < identity.MIN_BIRTH_YEAR:
            errors.append(f"date_of_birth: {birth.isoformat()} is before 1900.")
        if activation and activation > today + _MAX_FUTURE_ACTIVATION:
            errors.append(
                f"activation_date: {activation.isoformat()} is more than a year in the future."
            )
        if activation and expiry and expiry <= activation:
            errors.append(
                f"expiry_date: {expiry.isoformat()} must be after the activation date "
                f"{activation.isoformat()}."
            )

        for column, known, key_name in (
            ("zone", known_zones, "zone_key"),
            ("package", known_packages, "package_key"),
        ):
            clean[column] = text(column) or None
            clean[key_name] = None
            if clean[column]:
                key = known.get(_lookup_key(clean[column]))
                if key is None:
                    errors.append(f"{column}: unknown {column} {clean[column]!r}.")
                else:
                    clean[key_name] = key

        username = text("username")
        clean["username"] = username or None
        if username:
            if not _USERNAME.fullmatch(username):
                errors.append(
                    f"username: {username!r} must be 3-64 characters of letters, digits and . _ @ -"
                )
            folded = username.lower()
            if folded in taken_usernames:
                errors.append(f"username: {username!r} is already taken.")
            elif folded in seen_usernames:
                errors.append(
                    f"username: {username!r} is already used in row {seen_usernames[folded]}."
                )
            else:
                seen_usernames[folded] = row_number

        password = _cell_value(row.get("password"), "password")
        password = password if isinstance(password, str) else str(password)
        clean["password"] = password or None
        if password and (len(password) > 128 or _CONTROL_CHARS.search(password)):
            errors.append("password: must be at most 128 characters without control characters.")

        clean["connection_type"] = DEFAULT_CONNECTION_TYPE
        try:
            clean["connection_type"] = normalize_connection_type(row.get("connection_type"))
        except ValueError as exc:
            errors.append(f"connection_type: {exc}")

        for column, normalize, seen in (
            ("mac_address", normalize_mac, seen_macs),
            ("ipv4_address", _normalize_ipv4, seen_ips),
        ):
            clean[column] = None
            if not text(column):
                continue
            try:
                value = normalize(text(column))
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
                continue
            clean[column] = value
            if value in seen:
                errors.append(f"{column}: {value} is already used in row {seen[value]}.")
            else:
                seen[value] = row_number

        if errors:
            result.errors.append(RowError(row_number, errors))
        else:
            result.valid.append(ValidRow(row_number, clean))
    return result
