"""Arabic <-> English names and terms of our domain, one concept per line.

Written by hand because no offline package maps Syrian place names, actors and
month names across the two scripts, and transliteration guesses (Idlib/Idleb/إدلب) are
exactly where a string comparison fails. Arabic forms are normalised when loaded and
match with attached proclitics (و ف ب ل ك ال); English forms in lower case match in any
case, forms with capitals (acronyms, "May") only as written.
"""

from __future__ import annotations

# concept: (Arabic forms, English forms)
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # places
    "idlib": (("إدلب",), ("idlib", "idleb")),
    "aleppo": (("حلب",), ("aleppo",)),
    "homs": (("حمص",), ("homs",)),
    "hama": (("حماة",), ("hama", "hamah")),
    "damascus": (("دمشق",), ("damascus",)),
    "daraa": (("درعا",), ("daraa", "deraa", "dara'a")),
    "deir_ezzor": (("دير الزور",), ("deir ez-zor", "deir ezzor", "deir al-zour", "deir ez zor")),
    "raqqa": (("الرقة",), ("raqqa", "raqqah")),
    "latakia": (("اللاذقية",), ("latakia", "lattakia")),
    "tartus": (("طرطوس",), ("tartus", "tartous")),
    "douma": (("دوما",), ("douma", "duma")),
    "ghouta": (("الغوطة",), ("ghouta",)),
    "khan_sheikhoun": (("خان شيخون",), ("khan sheikhoun", "khan shaykhun", "khan shaykhoun")),
    "saraqib": (("سراقب",), ("saraqib",)),
    "afrin": (("عفرين",), ("afrin",)),
    "ariha": (("أريحا",), ("ariha",)),
    "maarat": (("معرة النعمان",), ("maarat al-numan", "maarrat al-numan", "maarat al-nu'man")),
    "jisr_shughur": (("جسر الشغور",), ("jisr al-shughur", "jisr al-shughour")),
    "lataminah": (("اللطامنة",), ("lataminah", "latamneh", "al-lataminah")),
    "qamishli": (("القامشلي",), ("qamishli",)),
    "azaz": (("اعزاز", "أعزاز"), ("azaz", "a'zaz")),
    "manbij": (("منبج",), ("manbij",)),
    "sweida": (("السويداء",), ("sweida", "suwayda", "suwaida")),
    "quneitra": (("القنيطرة",), ("quneitra",)),
    "rukban": (("الركبان",), ("rukban",)),
    "geneva": (("جنيف",), ("geneva",)),
    "astana": (("أستانا", "أستانة", "آستانا", "استانا"), ("astana", "nur-sultan")),
    "sochi": (("سوتشي",), ("sochi",)),
    "brussels": (("بروكسل",), ("brussels",)),
    "istanbul": (("إسطنبول", "اسطنبول"), ("istanbul",)),
    "moscow": (("موسكو",), ("moscow",)),
    "tehran": (("طهران",), ("tehran",)),
    "ankara": (("أنقرة",), ("ankara",)),
    "washington": (("واشنطن",), ("washington",)),
    # states and organisations
    "russia": (("روسيا", "الروسي", "الروسية", "روسي"), ("russia", "russian", "russians")),
    "iran": (("إيران", "الإيراني", "الإيرانية", "إيراني"), ("iran", "iranian")),
    "turkey": (("تركيا", "التركي", "التركية"), ("turkey", "turkish", "türkiye")),
    "usa": (
        ("الولايات المتحدة", "الأمريكية", "الأمريكي", "الأميركية", "الأميركي"),
        ("united states", "US", "U.S.", "american"),
    ),
    "un": (("الأمم المتحدة", "الأممي", "الأممية"), ("united nations", "UN", "U.N.")),
    "security_council": (("مجلس الأمن",), ("security council",)),
    "opcw": (
        ("منظمة حظر الأسلحة الكيميائية",),
        (
            "OPCW",
            "organisation for the prohibition of chemical weapons",
            "organization for the prohibition of chemical weapons",
        ),
    ),
    "eu": (("الاتحاد الأوروبي",), ("european union", "EU")),
    "hezbollah": (("حزب الله",), ("hezbollah", "hizbollah", "hizballah")),
    "isis": (("داعش", "تنظيم الدولة"), ("ISIS", "ISIL", "daesh", "islamic state")),
    "sdf": (("قسد", "قوات سوريا الديمقراطية"), ("SDF", "syrian democratic forces")),
    "pyd": (("حزب الاتحاد الديمقراطي",), ("PYD",)),
    "hts": (("هيئة تحرير الشام",), ("HTS", "hayat tahrir al-sham")),
    "white_helmets": (
        ("الخوذ البيضاء", "الدفاع المدني"),
        ("white helmets", "civil defence", "civil defense"),
    ),
    "coalition": (("الائتلاف",), ("coalition",)),
    "negotiation_commission": (("هيئة التفاوض",), ("negotiation commission", "SNC")),
    "constitutional_committee": (("اللجنة الدستورية",), ("constitutional committee",)),
    "national_army": (("الجيش الوطني",), ("national army",)),
    "free_army": (("الجيش الحر",), ("free syrian army", "FSA")),
    # people
    "assad": (("الأسد", "بشار"), ("assad", "bashar")),
    "putin": (("بوتين",), ("putin",)),
    "erdogan": (("أردوغان",), ("erdogan", "erdoğan")),
    "lavrov": (("لافروف",), ("lavrov",)),
    "guterres": (("غوتيريش", "غوتيريس"), ("guterres",)),
    "pedersen": (("بيدرسن", "بيدرسون"), ("pedersen",)),
    "de_mistura": (("دي ميستورا",), ("de mistura",)),
    "bahra": (("البحرة",), ("bahra", "al-bahra")),
    "meslet": (("المسلط",), ("meslet", "muslat", "al-meslet")),
    "hariri": (("الحريري",), ("hariri", "al-hariri")),
    "abdah": (("العبدة",), ("abdah", "al-abdah")),
    "blinken": (("بلينكن",), ("blinken",)),
    "pompeo": (("بومبيو",), ("pompeo",)),
    # weapons and acts
    "chemical": (
        ("الكيماوي", "الكيميائية", "الكيمياوية", "كيميائي", "كيماوية", "الكيميائي"),
        ("chemical",),
    ),
    "chlorine": (("الكلور",), ("chlorine",)),
    "sarin": (("السارين",), ("sarin",)),
    "barrel_bombs": (("البراميل المتفجرة", "براميل متفجرة"), ("barrel bombs", "barrel bomb")),
    "airstrike": (
        ("غارة", "غارات", "الغارات", "قصف"),
        ("airstrike", "airstrikes", "air strike", "shelling", "bombardment"),
    ),
    "massacre": (("مجزرة", "المجزرة"), ("massacre",)),
    "refugees": (("اللاجئين", "لاجئين", "اللاجئون"), ("refugees",)),
    "detainees": (("المعتقلين", "معتقلين", "المعتقلون"), ("detainees", "prisoners")),
    "children": (("أطفال", "الأطفال"), ("children",)),
    "civilians": (("مدنيين", "المدنيين", "مدنيون"), ("civilians",)),
}

# Month names count as date evidence, not as names (every text of a day shares them).
MONTHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1": (("كانون الثاني", "يناير"), ("January",)),
    "2": (("شباط", "فبراير"), ("February",)),
    "3": (("آذار", "مارس"), ("March",)),
    "4": (("نيسان", "أبريل", "إبريل"), ("April",)),
    "5": (("أيار", "مايو"), ("May",)),
    "6": (("حزيران", "يونيو"), ("June",)),
    "7": (("تموز", "يوليو"), ("July",)),
    "8": (("آب", "أغسطس"), ("August",)),
    "9": (("أيلول", "سبتمبر"), ("September",)),
    "10": (("تشرين الأول", "أكتوبر"), ("October",)),
    "11": (("تشرين الثاني", "نوفمبر"), ("November",)),
    "12": (("كانون الأول", "ديسمبر"), ("December",)),
}
