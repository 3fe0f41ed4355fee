"""Deterministic generator of a realistic Dhaka ISP (zones, packages, subscribers) as dicts."""

import datetime
import random
from collections.abc import Iterator

__all__ = ["DEFAULT_TODAY", "DemoIsp"]

DEFAULT_TODAY = datetime.date(2026, 11, 1)

# (code, name, thana, areas)
_ZONES = (
    ("MIR", "Mirpur", "Mirpur Model", ("Section 1", "Section 2", "Section 6", "Section 10")),
    ("DHN", "Dhanmondi", "Dhanmondi", ("Road 2", "Road 8", "Road 15", "Road 27")),
    ("UTT", "Uttara", "Uttara West", ("Sector 3", "Sector 7", "Sector 11", "Sector 13")),
    ("MOH", "Mohammadpur", "Mohammadpur", ("Iqbal Road", "Tajmahal Road", "Nurjahan Road")),
    ("BAD", "Badda", "Badda", ("Merul Badda", "Middle Badda", "Uttar Badda")),
    ("BAN", "Banani", "Banani", ("Block C", "Block E", "Block F", "Road 11")),
    ("GUL", "Gulshan", "Gulshan", ("Gulshan 1", "Gulshan 2", "Road 36")),
    ("BAS", "Bashundhara", "Vatara", ("Block A", "Block C", "Block D", "Block G")),
    ("RAM", "Rampura", "Rampura", ("West Rampura", "East Rampura", "Banasree")),
    ("MOT", "Motijheel", "Motijheel", ("Arambagh", "Fakirapool", "Shantinagar")),
    ("JAT", "Jatrabari", "Jatrabari", ("Shahidbagh", "Dholaipar", "Kajla")),
    ("KHI", "Khilgaon", "Khilgaon", ("Block A", "Block B", "Taltola", "Goran")),
    ("TEJ", "Tejgaon", "Tejgaon", ("Tejkunipara", "Farmgate", "Nakhalpara")),
)

# (code, name, type, down, up, burst down, burst up, threshold %, burst s,
#  validity days, quota GB, router profile, price BDT)
_PACKAGES = (
    ("HOME-5", "Home 5 Mbps", "pppoe", 5, 5, 8, 8, 75, 16, 30, 0, "home-5m", 500),
    ("HOME-10", "Home 10 Mbps", "pppoe", 10, 10, 15, 15, 75, 16, 30, 0, "home-10m", 800),
    ("HOME-20", "Home 20 Mbps", "pppoe", 20, 20, 30, 30, 75, 16, 30, 0, "home-20m", 1000),
    ("HOME-30", "Home 30 Mbps", "pppoe", 30, 30, 40, 40, 75, 16, 30, 0, "home-30m", 1200),
    ("HOME-40", "Home 40 Mbps", "pppoe", 40, 40, 0, 0, 0, 0, 30, 0, "home-40m", 1500),
    ("HOME-50", "Home 50 Mbps", "pppoe", 50, 50, 0, 0, 0, 0, 30, 0, "home-50m", 1800),
    ("HOME-60", "Home 60 Mbps", "pppoe", 60, 60, 0, 0, 0, 0, 30, 0, "home-60m", 2000),
    ("HOME-80", "Home 80 Mbps", "pppoe", 80, 80, 0, 0, 0, 0, 30, 0, "home-80m", 2500),
    ("HOME-100", "Home 100 Mbps", "pppoe", 100, 100, 0, 0, 0, 0, 30, 0, "home-100m", 3000),
    ("HS-DAY-5", "Hotspot Day Pass 5 Mbps", "hotspot", 5, 2, 0, 0, 0, 0, 1, 5, "hs-day-5m", 30),
    ("STATIC-30", "Static IP 30 Mbps", "static", 30, 30, 0, 0, 0, 0, 30, 0, "static-30m", 2500),
    ("BULK-100", "Bulk 100 Mbps", "bulk", 100, 100, 0, 0, 0, 0, 30, 0, "bulk-100m", 9000),
)
# Relative popularity of each package code among subscriptions.
_PACKAGE_WEIGHTS = {
    "HOME-5": 6,
    "HOME-10": 22,
    "HOME-20": 24,
    "HOME-30": 16,
    "HOME-40": 9,
    "HOME-50": 7,
    "HOME-60": 4,
    "HOME-80": 3,
    "HOME-100": 3,
    "HS-DAY-5": 3,
    "STATIC-30": 2,
    "BULK-100": 1,
}

_STATE_WEIGHTS = (
    ("active", 70),
    ("suspended", 8),
    ("expired", 7),
    ("inactive", 5),
    ("draft", 5),
    ("terminated", 5),
)

# Name lists read better packed than one per line.
# fmt: off
_MUSLIM_MALE = (
    "Rakibul", "Mahmudul", "Tanvir", "Shakil", "Rashed", "Kamrul", "Mizanur", "Habibur",
    "Shahidul", "Ariful", "Nazmul", "Sohel", "Imran", "Fahim", "Tareq", "Jahid", "Asif", "Masud",
    "Rezaul", "Saiful", "Mehedi", "Abdullah", "Towhid", "Anisur", "Faisal",
)
_MUSLIM_MALE_LAST = (
    "Hasan", "Hossain", "Islam", "Rahman", "Alam", "Uddin", "Ahmed", "Karim", "Mia", "Sarker",
    "Chowdhury", "Khan", "Molla", "Sheikh", "Bhuiyan", "Talukder", "Haque",
)
_MUSLIM_FEMALE = (
    "Nusrat", "Farhana", "Sadia", "Tasnim", "Sharmin", "Rokeya", "Nasrin", "Fatema", "Ayesha",
    "Sumaiya", "Jannatul", "Mahmuda", "Shirin", "Tahmina", "Rumana", "Lamia",
)
_MUSLIM_FEMALE_LAST = (
    "Jahan", "Akter", "Begum", "Khatun", "Sultana", "Islam", "Rahman", "Ferdous", "Nahar",
)
_HINDU_MALE = (
    "Sumon", "Pritam", "Ratan", "Bishwajit", "Sanjoy", "Tapan", "Subrata", "Dipankar", "Anup",
    "Gobinda", "Shuvo", "Pranab", "Uttam", "Arup",
)
_HINDU_MALE_MIDDLE = ("Chandra", "Kumar", "Lal", "")
_HINDU_FEMALE = (
    "Priya", "Mitu", "Shipra", "Rina", "Puja", "Anjana", "Dipa", "Sangita", "Tumpa", "Moumita",
)
_HINDU_FEMALE_MIDDLE = ("Rani", "Bala", "")
_HINDU_LAST = ("Das", "Saha", "Ghosh", "Roy", "Dey", "Sarkar", "Paul", "Barua", "Mondal", "Sen")
# fmt: on

# Mobile operator prefixes weighted roughly by market share (GP, Robi, Banglalink, ...).
_OPERATORS = (
    ("017", 30),
    ("013", 12),
    ("018", 18),
    ("019", 16),
    ("014", 8),
    ("016", 10),
    ("015", 6),
)
_EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com")
# Router and ONU vendors common in Dhaka homes (TP-Link, Tenda, Xiaomi, Huawei, Netis).
_MAC_OUIS = ("50:C7:BF", "C8:3A:35", "64:09:80", "E8:CD:2D", "04:8D:38")
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_STATIC_NETWORK = (10, 50)  # 10.50.0.0/16


class DemoIsp:
    """A reproducible fake Dhaka ISP; every method returns fresh, identical data per seed."""

    def __init__(self, seed: int = 2024, today: datetime.date = DEFAULT_TODAY):
        self.seed = seed
        self.today = today

    def zones(self) -> list[dict]:
        """Return the service zones with their thana and areas."""
        return [
            {
                "code": code,
                "name": name,
                "thana": thana,
                "district": "Dhaka",
                "division": "Dhaka",
                "areas": list(areas),
            }
            for code, name, thana, areas in _ZONES
        ]

    def packages(self) -> list[dict]:
        """Return the package catalogue (prices in BDT, speeds in Mbps)."""
        keys = (
            "code",
            "name",
            "connection_type",
            "download_mbps",
            "upload_mbps",
            "burst_download_mbps",
            "burst_upload_mbps",
            "burst_threshold_pct",
            "burst_time_s",
            "validity_days",
            "quota_gb",
            "router_profile",
            "price",
        )
        return [dict(zip(keys, values, strict=True), vat_percent=5.0) for values in _PACKAGES]

    def subscribers(self, count: int) -> Iterator[dict]:
        """Yield *count* subscribers, each with one or two subscriptions.

        With count >= 50 every subscription state and every package connection type occurs.
        """
        return _SubscriberStream(self.seed, self.today, self.zones(), self.packages()).run(count)


class _SubscriberStream:
    """State of one subscribers() run: its own RNG and uniqueness sets."""

    def __init__(self, seed, today, zones, packages):
        # A private RNG per run: repeated calls give identical streams, global random untouched.
        self.rng = random.Random(seed)
        self.today = today
        self.zones = zones
        self.packages = packages
        self.package_codes = [p["code"] for p in packages]
        self.package_weights = [_PACKAGE_WEIGHTS[c] for c in self.package_codes]
        self.package_by_code = {p["code"]: p for p in packages}
        self.mobiles: set[str] = set()
        self.nids: set[str] = set()
        self.usernames: set[str] = set()
        self.next_static_ip = 10  # skip network, gateways and servers at the start
        self.username_counter = 1000
        operators, weights = zip(*_OPERATORS, strict=True)
        self.operators = operators
        self.operator_weights = weights
        states, weights = zip(*_STATE_WEIGHTS, strict=True)
        self.states = states
        self.state_weights = weights
        # Forced picks for the first rows guarantee coverage of states and connection types.
        self.forced_states = [key for key, _w in _STATE_WEIGHTS]
        seen_types = {}
        for package in packages:
            seen_types.setdefault(package["connection_type"], package["code"])
        self.forced_packages = list(seen_types.values())

    def run(self, count: int) -> Iterator[dict]:
        force = count >= 50
        for index in range(count):
            yield self.subscriber(index, force)

    # -- people --------------------------------------------------------------------------

    def person_name(self, gender: str, hindu: bool) -> tuple[str, str]:
        """Return (full name, login stem) for a person of the given gender and religion."""
        rng = self.rng
        if hindu:
            if gender == "male":
                first, middle = rng.choice(_HINDU_MALE), rng.choice(_HINDU_MALE_MIDDLE)
            else:
                first, middle = rng.choice(_HINDU_FEMALE), rng.choice(_HINDU_FEMALE_MIDDLE)
            parts = [first, middle, rng.choice(_HINDU_LAST)]
        elif gender == "male":
            first = rng.choice(_MUSLIM_MALE)
            parts = ["Md." if rng.random() < 0.6 else "", first, rng.choice(_MUSLIM_MALE_LAST)]
        else:
            first = rng.choice(_MUSLIM_FEMALE)
            parts = [first, rng.choice(_MUSLIM_FEMALE_LAST)]
        return " ".join(p for p in parts if p), first.lower()

    def mobile(self) -> str:
        rng = self.rng
        while True:
            prefix = rng.choices(self.operators, self.operator_weights)[0]
            number = f"{prefix}{rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def nid(self, birth_year: int) -> str:
        rng = self.rng
        while True:
            kind = rng.random()
            if kind < 0.5:  # smart card
                nid = f"{rng.randrange(1, 10)}{rng.randrange(10**9):09d}"
            elif kind < 0.75:  # old laminated card
                nid = f"{rng.randrange(1, 10)}{rng.randrange(10**12):012d}"
            else:  # old number with the birth year in front
                nid = f"{birth_year}{rng.randrange(1, 10)}{rng.randrange(10**12):012d}"
            if nid not in self.nids:
                self.nids.add(nid)
                return nid

    def date_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange((end - start).days + 1))

    # -- subscriptions -------------------------------------------------------------------

    def username(self, stem: str, zone_code: str) -> str:
        while True:
            self.username_counter += self.rng.randrange(1, 4)
            name = f"{stem[:8]}.{zone_code.lower()}{self.username_counter}"
            if name not in self.usernames:
                self.usernames.add(name)
                return name

    def static_ip(self) -> str:
        host = self.next_static_ip
        self.next_static_ip += 1
        third, fourth = divmod(host, 254)
        if third > 255:
            raise RuntimeError("Demo static address pool 10.50.0.0/16 is exhausted.")
        return f"{_STATIC_NETWORK[0]}.{_STATIC_NETWORK[1]}.{third}.{fourth + 1}"

    def dates(self, state: str, validity: int) -> tuple:
        """Return (activation_date, expiry_date) consistent with *state*."""
        today = self.today
        earliest = today - datetime.timedelta(days=3 * 365)
        day = datetime.timedelta(days=1)
        if state == "draft":
            return None, None
        if state == "active":
            expiry = today + datetime.timedelta(days=self.rng.randint(1, validity))
            return self.date_between(earliest, today), expiry
        if state == "suspended":
            expiry = today + datetime.timedelta(days=self.rng.randint(-20, validity))
            return self.date_between(earliest, min(today, expiry - day)), expiry
        if state == "expired":
            expiry = today - datetime.timedelta(days=self.rng.randint(1, 120))
            return self.date_between(earliest, expiry - day), expiry
        # inactive and terminated connections keep their start date but run no period.
        return self.date_between(earliest, today - day), None

    def subscription(self, stem, zone_code, state=None, package_code=None) -> dict:
        rng = self.rng
        code = package_code or rng.choices(self.package_codes, self.package_weights)[0]
        package = self.package_by_code[code]
        state = state or rng.choices(self.states, self.state_weights)[0]
        activation, expiry = self.dates(state, package["validity_days"])
        mac = None
        if rng.random() < 0.3:
            tail = ":".join(f"{rng.randrange(256):02X}" for _ in range(3))
            mac = f"{rng.choice(_MAC_OUIS)}:{tail}"
        connection_type = package["connection_type"]
        return {
            "package": code,
            "username": self.username(stem, zone_code),
            "password": "".join(rng.choice(_PASSWORD_ALPHABET) for _ in range(10)),
            "connection_type": connection_type,
            "mac_address": mac,
            "ipv4_address": self.static_ip() if connection_type in ("static", "bulk") else None,
            "state": state,
            "activation_date": activation,
            "expiry_date": expiry,
        }

    def subscriber(self, index: int, force: bool) -> dict:
        rng = self.rng
        gender = "male" if rng.random() < 0.62 else "female"
        hindu = rng.random() < 0.1
        name, stem = self.person_name(gender, hindu)
        father, _ = self.person_name("male", hindu)
        mother, _ = self.person_name("female", hindu)
        birth = self.date_between(datetime.date(1960, 1, 1), datetime.date(2004, 12, 31))
        zone = rng.choice(self.zones)
        email = None
        if rng.random() < 0.4:
            local = name.replace("Md. ", "").lower().replace(" ", ".")
            email = f"{local}{rng.randrange(10, 1000)}@{rng.choice(_EMAIL_DOMAINS)}"
        mobile = self.mobile()
        subscriber = {
            "ref": f"DEMO-{index + 1:06d}",
            "name": name,
            "gender": gender,
            "father_name": father,
            "mother_name": mother,
            "mobile": mobile,
            "nid": self.nid(birth.year),
            "email": email,
            "date_of_birth": birth,
            "zone": zone["code"],
            "area": rng.choice(zone["areas"]),
            "street": f"House {rng.randint(1, 120)}, Road {rng.randint(1, 30)}",
            # ---- notifications: every other subscriber reads messages in Bangla (by index:
            # drawing from rng would change every subscriber after the first one)
            "lang": "bn" if index % 2 else "en",
        }
        state = self.forced_states[index] if force and index < len(self.forced_states) else None
        package = None
        if force and index < len(self.forced_packages):
            package = self.forced_packages[index]
        subscriptions = [self.subscription(stem, zone["code"], state, package)]
        if rng.random() < 0.08:
            subscriptions.append(self.subscription(stem, zone["code"]))
        subscriber["subscriptions"] = subscriptions
        return subscriber
