import datetime
import io

import openpyxl
import pytest

from isp_base.lib import subscriber_import
from isp_base.lib.subscriber_import import (
    CONNECTION_TYPES,
    EXAMPLE_ROW,
    REQUIRED_COLUMNS,
    TEMPLATE_COLUMNS,
    ImportFileError,
    ImportResult,
    RowError,
    ValidRow,
    build_template_csv,
    build_template_xlsx,
    normalize_connection_type,
    normalize_mac,
    parse_date,
    read_csv,
    read_xlsx,
    validate_rows,
)

TODAY = datetime.date(2026, 11, 1)
PACKAGES = {"home 10 mbps": "pkg-10", "home-10": "pkg-10", "static ip 30 mbps": "pkg-s30"}
ZONES = {"mirpur": "zone-mir", "mir": "zone-mir", "dhanmondi": "zone-dhn"}


def row(**values):
    base = {
        "name": "Md. Rakibul Hasan",
        "mobile": "01712345678",
        "zone": "Mirpur",
        "package": "Home 10 Mbps",
        "username": "rakib.mir1001",
    }
    base.update(values)
    return {column: base.get(column, "") for column in TEMPLATE_COLUMNS}


def validate(rows, **kwargs):
    kwargs.setdefault("known_packages", PACKAGES)
    kwargs.setdefault("known_zones", ZONES)
    kwargs.setdefault("existing_usernames", set())
    kwargs.setdefault("today", TODAY)
    return validate_rows(rows, **kwargs)


def errors_of(result, row_number=2):
    return next(e.messages for e in result.errors if e.row == row_number)


def csv_bytes(lines, bom=True):
    text = "\r\n".join(lines) + "\r\n"
    return text.encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(table):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in table:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- columns


def test_template_columns_order():
    assert TEMPLATE_COLUMNS == (
        "name", "mobile", "email", "nid", "birth_registration", "passport", "father_name",
        "mother_name", "date_of_birth", "zone", "division", "district", "thana", "area",
        "street", "package", "username", "password", "connection_type", "mac_address",
        "ipv4_address", "activation_date", "expiry_date",
    )  # fmt: skip
    assert REQUIRED_COLUMNS == ("name", "mobile", "zone", "package", "username")


# ------------------------------------------------------------------------------ CSV


@pytest.mark.parametrize("bom", [True, False])
def test_read_csv_keeps_bangla_and_fills_missing_columns(bom):
    data = csv_bytes(
        [
            "name,mobile,zone,package,username,street",
            'মোঃ রাকিবুল হাসান,০১৭১২৩৪৫৬৭৮,Mirpur,Home 10 Mbps,rakib,"বাসা ১২, রোড ৫"',
        ],
        bom=bom,
    )
    rows = read_csv(data)
    assert len(rows) == 1
    assert rows[0]["name"] == "মোঃ রাকিবুল হাসান"
    assert rows[0]["street"] == "বাসা ১২, রোড ৫"
    assert rows[0]["email"] == ""
    assert list(rows[0]) == list(TEMPLATE_COLUMNS)
    result = validate(rows)
    assert result.ok()
    assert result.valid[0].data["mobile"] == "+8801712345678"
    assert result.valid[0].data["name"] == "মোঃ রাকিবুল হাসান"


def test_read_csv_header_is_case_and_space_insensitive_and_any_order():
    data = csv_bytes([" Username ,ZONE,package,Mobile,name", "u123,mir,home-10,01812345678,X Y"])
    rows = read_csv(data)
    assert rows[0]["username"] == "u123"
    assert rows[0]["mobile"] == "01812345678"
    assert validate(rows).ok()


def test_read_csv_semicolon_delimited():
    rows = read_csv(
        csv_bytes(["name;mobile;zone;package;username", "A B;01712345678;mir;home-10;ab1"])
    )
    assert rows[0]["username"] == "ab1"


def test_read_csv_quoted_newlines_and_blank_rows_keep_row_numbers():
    data = csv_bytes(
        [
            "name,mobile,zone,package,username,street",
            'One,01712345678,mir,home-10,user1,"House 1',
            'Road 2"',
            "",
            "Two,017123,mir,home-10,user2,",
            "",
            ",,,,,",
        ]
    )
    rows = read_csv(data)
    assert len(rows) == 3  # trailing blank rows are dropped, the middle one kept
    assert rows[0]["street"] == "House 1\nRoad 2"
    result = validate(rows)
    assert [v.row for v in result.valid] == [2]
    assert [e.row for e in result.errors] == [4]


@pytest.mark.parametrize(
    ("header", "fragments"),
    [
        ("name,mobile,zone,package", ["required column(s) missing: username"]),
        ("email,nid", ["missing: name, mobile, zone, package, username"]),
        (
            "name,mobile,zone,package,username,nickname,Fax",
            ["unknown column(s): nickname, fax"],
        ),
        (
            "name,mobile,zone,package,nickname",
            ["missing: username", "unknown column(s): nickname"],
        ),
        ("name,mobile,zone,package,username,name", ["duplicate column(s): name"]),
    ],
)
def test_read_csv_header_errors(header, fragments):
    with pytest.raises(ImportFileError) as info:
        read_csv(csv_bytes([header, ""]))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_read_csv_values_without_header():
    data = csv_bytes(["name,mobile,zone,package,username", "a,01712345678,mir,home-10,abc,extra"])
    with pytest.raises(ImportFileError, match="column\\(s\\) F have values but no header"):
        read_csv(data)


def test_read_csv_blank_extra_cells_are_ignored():
    data = csv_bytes(["name,mobile,zone,package,username,,", "a,01712345678,mir,home-10,abc,,"])
    assert read_csv(data)[0]["username"] == "abc"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "empty"),
        ("name,mobile\r\nRakib,০১৭".encode("utf-16"), "not UTF-8"),
        (b"name,mobile,zone,package,username\r\n\xff\xfe,1,2,3,4\r\n", "on line 2"),
        (b"\xef\xbb\xbfname\r\nok\r\n\r\nbad \xe0\xa6\r\n", "on line 4"),
        (b'name\r\n"' + b"a" * 200_000 + b'"\r\n', "not valid CSV"),
    ],
)
def test_read_csv_unreadable(data, fragment):
    with pytest.raises(ImportFileError) as info:
        read_csv(data)
    assert fragment in str(info.value)


def test_read_csv_header_only():
    assert read_csv(csv_bytes([",".join(TEMPLATE_COLUMNS)])) == []


def test_read_csv_requires_bytes():
    with pytest.raises(TypeError):
        read_csv("name,mobile")


# ----------------------------------------------------------------------------- XLSX


def test_read_xlsx_cell_types():
    data = xlsx_bytes(
        [
            ["name", "mobile", "zone", "package", "username", "nid", "date_of_birth",
             "activation_date", "expiry_date", "password"],
            ["নুসরাত জাহান", 1712345678, "MIR", "HOME-10", "nusrat1", 1234567890,
             datetime.datetime(1995, 3, 4), datetime.date(2026, 1, 1), "15/02/2026", 123456],
            [None] * 10,
            ["Two", "01812345678", "mir", "home-10", "two", None, None, None, None, None],
            [None] * 10,
            ["", "  ", None, None, None, None, None, None, None, None],
        ]
    )  # fmt: skip
    rows = read_xlsx(data)
    assert len(rows) == 3
    assert rows[0]["mobile"] == "1712345678"
    assert rows[0]["nid"] == "1234567890"
    assert rows[0]["password"] == "123456"
    assert isinstance(rows[0]["date_of_birth"], datetime.datetime)
    result = validate(rows)
    assert result.ok(), result.errors
    first, second = result.valid
    assert (first.row, second.row) == (2, 4)
    assert first.data["name"] == "নুসরাত জাহান"
    assert first.data["mobile"] == "+8801712345678"
    assert first.data["date_of_birth"] == datetime.date(1995, 3, 4)
    assert first.data["activation_date"] == datetime.date(2026, 1, 1)
    assert first.data["expiry_date"] == datetime.date(2026, 2, 15)


def test_read_xlsx_header_errors():
    with pytest.raises(ImportFileError, match=r"missing: mobile.*unknown column\(s\): phone"):
        read_xlsx(xlsx_bytes([["name", "phone", "zone", "package", "username"]]))


def test_read_xlsx_only_reads_first_sheet():
    workbook = openpyxl.Workbook()
    workbook.active.append(list(REQUIRED_COLUMNS))
    workbook.active.append(["A", "01712345678", "mir", "home-10", "abc"])
    workbook.create_sheet("Other").append(["junk"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [r["username"] for r in read_xlsx(buffer.getvalue())] == ["abc"]


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken", build_template_csv()])
def test_read_xlsx_rejects_non_workbooks(data):
    with pytest.raises(ImportFileError, match="not a valid XLSX workbook"):
        read_xlsx(data)


def test_read_xlsx_empty_sheet():
    with pytest.raises(ImportFileError, match="empty"):
        read_xlsx(xlsx_bytes([]))


# ------------------------------------------------------------------------- templates


def test_template_xlsx_round_trip():
    data = build_template_xlsx()
    rows = read_xlsx(data)
    assert len(rows) == 1
    assert rows[0]["mobile"] == "01712345678"
    result = validate(rows)
    assert result.ok(), result.errors
    clean = result.valid[0].data
    assert clean["package_key"] == "pkg-10"
    assert clean["zone_key"] == "zone-mir"
    assert clean["date_of_birth"] == EXAMPLE_ROW["date_of_birth"]
    assert clean["activation_date"] == EXAMPLE_ROW["activation_date"]


def test_template_xlsx_layout():
    workbook = openpyxl.load_workbook(io.BytesIO(build_template_xlsx()))
    assert workbook.sheetnames == ["Subscribers", "Instructions"]
    sheet = workbook["Subscribers"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(TEMPLATE_COLUMNS)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width > 10
    help_rows = list(workbook["Instructions"].iter_rows(values_only=True))
    assert help_rows[0][:4] == ("Column", "Required", "Description", "Accepted formats")
    described = {r[0]: r for r in help_rows[1 : len(TEMPLATE_COLUMNS) + 1]}
    assert list(described) == list(TEMPLATE_COLUMNS)
    for column, (_c, required, description, formats) in described.items():
        assert required == ("Yes" if column in REQUIRED_COLUMNS else "No")
        assert description and formats


def test_template_csv_round_trip():
    data = build_template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 2
    rows = read_csv(data)
    assert len(rows) == 1
    result = validate(rows)
    assert result.ok(), result.errors
    assert result.valid[0].data["expiry_date"] == EXAMPLE_ROW["expiry_date"]


# ------------------------------------------------------------------------ validation


def test_full_valid_row_is_cleaned():
    result = validate(
        [
            row(
                name="  Md.   Rakibul  Hasan ",
                mobile="+880 1712-345678",
                email=" Rakib@Example.COM ",
                nid="১২৩ ৪৫৬ ৭৮৯০",
                birth_registration="1990-3012-3456-78901",
                passport="eb0123456",
                father_name="Abdul Karim",
                mother_name="Rokeya Begum",
                date_of_birth="14/05/1990",
                zone=" MIR ",
                division="Dhaka",
                district="Dhaka",
                thana="Mirpur Model",
                area="Section 10",
                street="House 12, Road 5",
                package="HOME 10 MBPS",
                username="Rakib.Mir1001",
                password="s3cret",
                connection_type="PPPoE",
                mac_address="aa-bb-cc-dd-ee-0f",
                ipv4_address="10.50.0.10",
                activation_date="2026-01-15",
                expiry_date="14-02-2026",
            )
        ]
    )
    assert isinstance(result, ImportResult)
    assert result.ok()
    assert result.errors == []
    valid = result.valid[0]
    assert isinstance(valid, ValidRow)
    assert valid.row == 2
    assert valid.data == {
        "name": "Md. Rakibul Hasan",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "division": "Dhaka",
        "district": "Dhaka",
        "thana": "Mirpur Model",
        "area": "Section 10",
        "street": "House 12, Road 5",
        "mobile": "+8801712345678",
        "email": "rakib@example.com",
        "nid": "1234567890",
        "birth_registration": "19903012345678901",
        "passport": "EB0123456",
        "date_of_birth": datetime.date(1990, 5, 14),
        "activation_date": datetime.date(2026, 1, 15),
        "expiry_date": datetime.date(2026, 2, 14),
        "zone": "MIR",
        "zone_key": "zone-mir",
        "package": "HOME 10 MBPS",
        "package_key": "pkg-10",
        "username": "Rakib.Mir1001",
        "password": "s3cret",
        "connection_type": "pppoe",
        "mac_address": "AA:BB:CC:DD:EE:0F",
        "ipv4_address": "10.50.0.10",
    }


def test_minimal_row_defaults():
    data = validate([row()]).valid[0].data
    assert data["connection_type"] == "pppoe"
    for column in ("email", "nid", "passport", "password", "mac_address", "date_of_birth"):
        assert data[column] is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"name": ""}, "name is required."),
        ({"mobile": " "}, "mobile is required."),
        ({"zone": ""}, "zone is required."),
        ({"package": ""}, "package is required."),
        ({"username": ""}, "username is required."),
        ({"mobile": "01212345678"}, "mobile: Mobile number '01212345678'"),
        ({"mobile": "0171234567"}, "mobile: Mobile number '0171234567' has 10 digits"),
        ({"mobile": "0291234567"}, "landline"),
        ({"email": "rakib@"}, "email: 'rakib@' is not a valid e-mail address."),
        ({"email": "rakib at example.com"}, "email: 'rakib at example.com'"),
        ({"nid": "12345"}, "nid: NID '12345' has 5 digits"),
        ({"birth_registration": "2010"}, "birth_registration: Birth registration number '2010'"),
        ({"passport": "A01234567"}, "passport: Passport number 'A01234567' is invalid"),
        ({"date_of_birth": "31/02/1990"}, "date_of_birth: '31/02/1990' is not a valid date"),
        ({"date_of_birth": "1990.05.14"}, "date_of_birth: '1990.05.14' is not a valid date"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth: 2027-01-01 is in the future."),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth: 1899-12-31 is before 1900."),
        (
            {"activation_date": "2027-11-02"},
            "activation_date: 2027-11-02 is more than a year in the future.",
        ),
        (
            {"activation_date": "2026-01-15", "expiry_date": "2026-01-15"},
            "expiry_date: 2026-01-15 must be after the activation date 2026-01-15.",
        ),
        (
            {"activation_date": "2026-01-15", "expiry_date": "01/01/2026"},
            "expiry_date: 2026-01-01 must be after",
        ),
        ({"expiry_date": "soon"}, "expiry_date: 'soon' is not a valid date"),
        ({"zone": "Gulshan"}, "zone: unknown zone 'Gulshan'."),
        ({"package": "Home 11 Mbps"}, "package: unknown package 'Home 11 Mbps'."),
        ({"username": "ab"}, "username: 'ab' must be 3-64 characters"),
        ({"username": "a" * 65}, "must be 3-64 characters"),
        ({"username": "rakib hasan"}, "username: 'rakib hasan' must be"),
        ({"username": "রাকিব"}, "must be 3-64 characters"),
        ({"password": "a\x01b"}, "password: must be at most 128 characters"),
        ({"password": "x" * 129}, "password: must be at most 128 characters"),
        ({"connection_type": "fiber"}, "connection_type: Unknown connection type 'fiber'"),
        ({"mac_address": "AA:BB:CC:DD:EE"}, "mac_address: MAC address 'AA:BB:CC:DD:EE'"),
        ({"mac_address": "AA:BB-CC:DD:EE:FF"}, "is malformed"),
        ({"mac_address": "GG:BB:CC:DD:EE:FF"}, "is malformed"),
        ({"ipv4_address": "10.50.0.256"}, "ipv4_address: IPv4 address '10.50.0.256' is malformed."),
        ({"ipv4_address": "10.050.0.1"}, "is malformed"),
        ({"ipv4_address": "fe80::1"}, "is malformed"),
        ({"ipv4_address": "0.0.0.0"}, "cannot be assigned"),
        ({"ipv4_address": "127.0.0.1"}, "cannot be assigned"),
        ({"ipv4_address": "224.0.0.5"}, "cannot be assigned"),
    ],
)
def test_each_error_kind(values, expected):
    result = validate([row(**values)])
    assert not result.ok()
    assert result.valid == []
    messages = errors_of(result)
    assert any(expected in message for message in messages), messages


def test_all_errors_of_a_row_are_collected():
    result = validate(
        [
            row(
                name="",
                mobile="012",
                email="x",
                nid="1",
                zone="Nowhere",
                package="Gold",
                username="a b",
                mac_address="zz",
                ipv4_address="1.2.3",
                connection_type="wifi",
                date_of_birth="yesterday",
            )
        ]
    )
    (error,) = result.errors
    assert isinstance(error, RowError)
    assert error.row == 2
    prefixes = sorted(message.split(" ")[0].rstrip(":") for message in error.messages)
    assert prefixes == sorted(
        [
            "name",
            "mobile",
            "email",
            "nid",
            "date_of_birth",
            "zone",
            "package",
            "username",
            "connection_type",
            "mac_address",
            "ipv4_address",
        ]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "pppoe"),
        (None, "pppoe"),
        ("PPPoE", "pppoe"),
        ("hotspot", "hotspot"),
        ("Hot Spot", "hotspot"),
        ("Static IP", "static"),
        ("static_ip", "static"),
        ("STATIC", "static"),
        ("Bulk", "bulk"),
        ("Cable TV", "cable_tv"),
        ("cable_tv", "cable_tv"),
        ("cable-tv", "cable_tv"),
        ("Other", "other"),
    ],
)
def test_connection_types(value, expected):
    assert normalize_connection_type(value) == expected
    assert expected in {key for key, _label in CONNECTION_TYPES}
    assert validate([row(connection_type=value)]).valid[0].data["connection_type"] == expected


@pytest.mark.parametrize(
    "value",
    ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "AABBCCDDEEFF", " aabbccddeeff "],
)
def test_mac_formats(value):
    assert normalize_mac(value) == "AA:BB:CC:DD:EE:FF"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-15", datetime.date(2026, 1, 15)),
        ("15/01/2026", datetime.date(2026, 1, 15)),
        ("15-01-2026", datetime.date(2026, 1, 15)),
        ("১৫-০১-২০২৬", datetime.date(2026, 1, 15)),
        (datetime.date(2026, 1, 15), datetime.date(2026, 1, 15)),
        (datetime.datetime(2026, 1, 15, 13, 5), datetime.date(2026, 1, 15)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2026/01/15", "01/15/2026", "15.01.2026", "", "tomorrow"])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError, match="not a valid date"):
        parse_date(value)


def test_activation_up_to_a_year_ahead_is_allowed():
    assert validate([row(activation_date="2027-11-01")]).ok()


def test_username_duplicates_in_file_name_first_row():
    rows = [
        row(username="Rakib.Mir1001"),
        row(username="other1", mobile="01812345678", name="Other"),
        row(),
        row(username="RAKIB.MIR1001", mobile="01912345678", name="Third"),
    ]
    result = validate(rows)
    assert [v.row for v in result.valid] == [2, 3]
    assert errors_of(result, 4) == ["username: 'rakib.mir1001' is already used in row 2."]
    assert errors_of(result, 5) == ["username: 'RAKIB.MIR1001' is already used in row 2."]


def test_username_already_taken():
    result = validate([row(username="Karim.Dhn7")], existing_usernames={"karim.dhn7"})
    assert errors_of(result) == ["username: 'Karim.Dhn7' is already taken."]
    # The caller's set is treated case-insensitively as well.
    assert not validate([row(username="karim.dhn7")], existing_usernames={"Karim.DHN7"}).ok()


def test_existing_mobiles_in_any_format():
    result = validate([row(mobile="01712345678")], existing_mobiles={"+8801712345678", "junk"})
    assert errors_of(result) == [
        "mobile: +8801712345678 already belongs to an existing subscriber."
    ]
    assert not validate([row()], existing_mobiles={"8801712345678"}).ok()
    assert validate([row()], existing_mobiles=set()).ok()


def test_same_mobile_same_subscriber_two_subscriptions():
    rows = [
        row(username="user1"),
        row(username="user2", mobile="+8801712345678", name="md. rakibul  hasan"),
        row(username="user3", mobile="01712-345678", name="Somebody Else"),
    ]
    result = validate(rows)
    assert [v.row for v in result.valid] == [2, 3]
    assert errors_of(result, 4) == [
        "mobile: +8801712345678 is used in row 2 by a different subscriber ('Md. Rakibul Hasan')."
    ]


def test_duplicate_mac_and_ip_in_file():
    rows = [
        row(username="user1", mac_address="aabbccddeeff", ipv4_address="10.50.0.10"),
        row(
            username="user2",
            mobile="01812345678",
            name="B",
            mac_address="AA:BB:CC:DD:EE:FF",
            ipv4_address="10.50.0.10",
        ),
    ]
    assert errors_of(validate(rows), 3) == [
        "mac_address: AA:BB:CC:DD:EE:FF is already used in row 2.",
        "ipv4_address: 10.50.0.10 is already used in row 2.",
    ]


def test_blank_rows_are_skipped_and_numbering_kept():
    blank = dict.fromkeys(TEMPLATE_COLUMNS, "")
    rows = [blank, row(), {"name": None, "mobile": "  "}, row(username="x", mobile="0")]
    result = validate(rows)
    assert [v.row for v in result.valid] == [3]
    assert [e.row for e in result.errors] == [5]


def test_lookup_by_code_and_case():
    data = validate([row(zone="mir", package="home-10")]).valid[0].data
    assert (data["zone_key"], data["package_key"]) == ("zone-mir", "pkg-10")


def test_today_defaults_to_real_date():
    assert validate_rows(
        [row()], known_packages=PACKAGES, known_zones=ZONES, existing_usernames=set()
    ).ok()


def test_identity_year_uses_today():
    result = validate([row(nid="20262691234567890")], today=datetime.date(2025, 6, 1))
    assert "2026" in errors_of(result)[0]
    assert validate([row(nid="20262691234567890")]).ok()


def test_empty_input():
    result = validate([])
    assert result.ok()
    assert result.valid == [] and result.errors == []


def test_import_file_error_is_value_error():
    assert issubclass(ImportFileError, ValueError)


def test_export_round_trips_through_the_readers():
    rows = [
        dict(subscriber_import.EXAMPLE_ROW, name="নুসরাত জাহান", username="nusrat.dmd1"),
        dict(subscriber_import.EXAMPLE_ROW, username="rakib.mir2", mobile="01812345678"),
    ]
    for export, read in (
        (subscriber_import.export_xlsx, subscriber_import.read_xlsx),
        (subscriber_import.export_csv, subscriber_import.read_csv),
    ):
        back = read(export(rows))
        assert [r["name"] for r in back] == ["নুসরাত জাহান", "Md. Rakibul Hasan"]
        assert [r["username"] for r in back] == ["nusrat.dmd1", "rakib.mir2"]
        assert subscriber_import.parse_date(back[0]["activation_date"]) == datetime.date(
            2025, 1, 15
        )
