"""The words the offline reader and the not-applied report both read the same way.

``clean`` normalizes a request; the patterns name the widget's shape (chart kinds, table, custom,
trend), its ranking, numeric comparisons and the date qualifiers ("filed in"); ``STOP`` and ``GENERIC``
are words that name nothing in a dictionary. ``clarifier_offline`` reads a request with them and
``applied`` strikes out what they explain, so the two never disagree on what a word is.
"""
from __future__ import annotations

import re
import unicodedata

from sql_gen.services.vocabulary.words import word_similarity
from widgets.services.offline_date_parts import MONTH

STOP = frozenset(
    "a an the of to for in on at by per and or with from as is are was were be been do does did done we our us i me "
    "my you your it its that this these those what which who whom how show give get see all any each please want "
    "need like some there their them than then can could would will should let lets let's just also only still "
    "have has had much many number count total totals overall much got getting over under into out about across "
    "split broken down grouped group vs versus against compared compare chart graph plot table list listing "
    "widget kpi card view report tell know look looking up did does whats what's where when why much "
    # the small talk of an answer: "southwest, sorry", "ok the product line", "i meant paid"
    "sorry thanks thank ok okay yes yeah yep oops actually meant mean pls plz thx ta "
    # how something arrived or passed: "came in through the web", "sent via brokers"
    "through thru via".split())
GENERIC = frozenset(
    "performance doing going numbers number stuff metrics metric kpis kpi dashboard overview summary trend trends "
    "lately recently recent unusual anything something everything things thing key important data figures figure "
    "stats statistics info information insight insights results result team teams useful interesting important "
    "relevant good bad nice helpful quick quickly simple basic main general current latest new see check track "
    "monitor understand happening happen look make build create add put something anything business company "
    "widget widgets chart charts kpis numbers exec meeting board boss manager today snapshot pulse health "
    "checkup performing perform update glance picture scorecard u pull fetch tracking hows "
    # where a widget is wanted, not what it measures: "something for the board pack"
    "pack deck slide slides presentation standup huddle catchup together tile tiles prepare "
    # what an analyst asks us to do with the figures: "audit claims by team", "quantify claims per segment"
    "inspect examine evaluate assess audit quantify profile scrutinise scrutinize analyse analyze analysing "
    "analyzing investigate explore tally summarise summarize dig drill "
    # what a loss was to, said generically: "stolen goods", "vandalism incidents" name the cause alone
    "goods items belongings possessions valuables incidents incident".split())
CUSTOM = re.compile(r" (?:custom|bespoke|gauge|heatmap|heat map|funnel|leaderboard|league table|scorecard|"
                    r"sparkline card|progress bar|ranked bars|tile with|card with)(?= )")
TABLE = re.compile(r" (?:as a table|in a table|table|tabular|list|listing|spreadsheet|grid)(?= )")
CHART_NOUNS = r"(?: chart| graph| plot| view)"
CHARTS = [
    ("stacked_area", re.compile(rf" stacked areas?{CHART_NOUNS}?(?= )")),
    ("stacked_bar", re.compile(rf" stacked (?:bars?|columns?){CHART_NOUNS}?(?= )")),
    ("horizontal_bar", re.compile(rf" (?:horizontal|sideways) (?:bars?|columns?){CHART_NOUNS}?(?= )")),
    ("donut", re.compile(rf" (?:donut|doughnut|ring){CHART_NOUNS}?(?= )")),
    ("pie", re.compile(rf" pie{CHART_NOUNS}?(?= )")),
    ("scatter", re.compile(rf" (?:scatter|scatterplot|scatter plot|bubble){CHART_NOUNS}?(?= )")),
    ("area", re.compile(rf" (?:area{CHART_NOUNS}|as (?:an )?area)(?= )")),
    ("line", re.compile(rf" (?:line{CHART_NOUNS}|as (?:a )?lines?|in lines|lines)(?= )")),
    ("bar", re.compile(rf" (?:(?:bar|column){CHART_NOUNS}|bars|columns|as (?:a )?bar|(?:bar|column)(?= of ))(?= )")),
]
TREND = re.compile(r" (?:trend|trends|trending|over time|time series|timeline|history)(?= )")
CHARTY = re.compile(r" (?:chart|graph|plot|visual|visualise|visualize)(?= )")
# "top 1000000000" is read as that number (and refused past the row cap), never as "top" alone; a long
# number after words that also start a window or a date ("last 2025") is not a ranking.
RANK_N = re.compile(r" (?:(?P<dir>top|bottom|best|worst|highest|lowest|largest|smallest|biggest|fastest|slowest|"
                    r"quickest|first|last|leading) (?P<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|"
                    r"twelve|fifteen|twenty)|(?P<dir_long>top|bottom) (?P<n_long>\d{4,12}))(?= )")
RANK_N_AFTER = re.compile(r" (?:the )?(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
                          r"twenty) (?P<dir>best|worst|highest|lowest|largest|smallest|biggest|fastest|slowest|quickest)"
                          r"(?= )")
# "the most common causes", "least frequent channel": a ranking by how many claims, whatever measure is named.
RANK_COMMON = re.compile(r" (?:the )?(?:(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
                         r"twenty) )?(?P<dir>most|least) (?:common|frequent|popular|usual)(?= )"
                         r"| (?:the )?(?:(?P<n2>\d{1,3}) )?(?P<dir2>commonest|rarest)(?= )")
RANK_COUNTED = re.compile(r" (?:the )?(?:(?P<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
                          r"twenty) )?(?P<what>[a-z]+(?: [a-z]+)?) (?:with|having|who|that|which|by)"
                          r"(?: [a-z]+){0,3}?(?<! at) (?:the )?(?P<dir>most|highest|biggest|largest|longest|slowest|fewest|"
                          r"least|lowest|smallest|shortest|fastest)(?= )")
# "at least 3500", "at most 10k" are comparisons (COMPARE_OPS), never a ranking.
RANK_SUPER = re.compile(r"(?<! at) (?:the )?(?P<dir>most|highest|biggest|largest|longest|slowest|greatest|top|fewest|least|"
                        r"lowest|smallest|shortest|fastest|quickest|best|worst)(?= )")
# "and all others", "plus the rest", "with everything else as other", "rest grouped": a ranking's groups past its n,
# as one row. "Other" alone never is: it is a stored cause ("top 5 causes and other" keeps that reading).
_GROUPED = r"(?:grouped|lumped(?: together)?|combined|bundled|rolled up|together|as (?:one|a single) (?:row|group|bar|slice)" \
           r"|as (?:an? )?(?:others?|other group)|in (?:one|a) (?:row|group|bucket))"
_REST = r"(?:all (?:the )?others|all (?:the )?other [a-z]+s|the rest(?! of (?!them ))(?: of them)?|everything else|everyone else)"
OTHERS_ROW = re.compile(rf" (?:(?:and|plus|with|then|add|also|include)(?: then)? {_REST}(?: {_GROUPED})?|(?:the )?rest {_GROUPED}"
                        rf"|others {_GROUPED}|(?:and |then )?(?:group|lump|bundle|roll up|combine) {_REST}"
                        rf"(?: together| as (?:an? )?others?| into (?:one|an?) (?:row|others?|group))?"
                        r"|(?:with |and |plus )?(?:an? )?all others (?:row|bar|slice|bucket|group|category))(?= )")
# "regions ranked by claims", "products sorted by total paid": the rows are what comes before.
RANKED_BY = re.compile(r" (?:ranked|sorted|ordered|ranking|sort|order) +(?:by|on)(?= )")  # blanks between: an order said
# A courtesy after the request ("if that's doable", "if you can", "when you get a chance"): it asks nothing.
COURTESY = re.compile(r" (?:if (?:you can|you could|possible|(?:that|it) (?:is )?(?:ok|okay|doable|possible|alright|fine)|"
                      r"(?:thats|its) (?:ok|okay|doable|possible|alright|fine))|when you (?:get|have) a (?:chance|sec|second|"
                      r"minute|moment))(?= )")
# "As things stand": no period, the state the data is in now ("open claims right now", "at the moment").
NOW = re.compile(r" (?:right now|just now|currently|current(?! (?:week|month|quarter|year|day|period|fy|fiscal|calendar|wk|mo|"
                 r"qtr|yr|half))|at the moment|at present|presently|as of (?:now|today|right now)|"
                 r"as (?:it stands|things stand|of this moment)|as we speak)(?= )")
# The order of the rows, said in words (``Intent.sort``): "sorted by paid", "order by region a-z", "sorted asc",
# "fastest first", "highest to lowest", "alphabetical", "z to a". "a-z" is cleaned to "a z".
SORT_BY = re.compile(r" (?:sorted|sort|ordered|order|arranged|arrange) (?:by|on)(?= )")
SORT_DIRECTION = re.compile(r" +(?:in )?(?P<dir>asc|ascending|desc|descending|a z|a to z|z a|z to a)(?: order)?(?= )")
SORT_ALONE = re.compile(r" (?:sorted|sort|ordered|order|arranged) (?:in )?(?P<dir>asc|ascending|desc|descending)"
                        r"(?: order)?(?= )")
_ENDS = r"highest|lowest|biggest|smallest|largest|most|fewest|least|fastest|slowest|quickest|longest|shortest|high|low|big|small"
VALUE_ORDER = re.compile(rf" (?:from )?(?P<first>{_ENDS}) (?:first|to (?:the )?(?:{_ENDS}))(?= )")
NAME_ORDER = re.compile(r" (?:(?P<rev>reverse |reversed )?(?:alphabetical|alphabetically)(?: order)?|"
                        r"(?:from )?(?:a z|a to z)|(?P<z>(?:from )?z (?:to )?a))(?= )")
SORT_PATTERNS = [SORT_ALONE, VALUE_ORDER, NAME_ORDER, SORT_BY]
# The first word of a value order that puts the lowest first: "lowest first", "fastest first", "low to high".
LOW_FIRST = frozenset({"lowest", "smallest", "fewest", "least", "fastest", "quickest", "shortest", "low", "small"})
SPEED = frozenset({"fastest", "quickest", "slowest"})


def said_direction(word: str) -> str:
    """Return the direction a direction word says: "asc", "ascending" and "a to z" are asc."""
    return "asc" if word.startswith("asc") or word.startswith("a ") else "desc"


COMPARE_OPS = [
    (">=", r"(?:at least|no less than|minimum of|min|>=)"),
    ("<=", r"(?:at most|no more than|up to|maximum of|max|<=)"),
    (">", r"(?:over|above|more than|greater than|exceeding|exceeds|exceeded|exceed|in excess of|upwards of|"
          r"bigger than|larger than|higher than|longer than|slower than|>)"),
    ("<", r"(?:under|below|less than|fewer than|smaller than|lower than|shorter than|quicker than|faster than|"
          r"within|<)"),
]
AMOUNT = r"\$? ?(?P<num>\d+(?:\.\d+)?) ?(?P<suffix>k|m|thousand|million|grand)?"
TRAILING_OPS = re.compile(rf" {AMOUNT}(?P<days> days?)? (?P<op>or more|or less|or over|or under|and up|and above|"
                          r"and below|plus)(?= )")
# Two bounds at once: "between 10k and 20k", "from 5 to 15 days".
BETWEEN_AMOUNTS = re.compile(r" (?:between|from) \$? ?(?P<num>\d+(?:\.\d+)?) ?(?P<suffix>k|m|thousand|million|grand)?"
                             r"(?P<days> days?)? (?:and|to) \$? ?(?P<num2>\d+(?:\.\d+)?) ?(?P<suffix2>k|m|thousand|million|grand)?"
                             r"(?P<days2> days?)?(?= )")
# A span of weeks after a comparison is a number of days: "settled in less than a week", "within 2 weeks".
_WEEKS = re.compile(r"(?<= )(?P<lead>than|within|under|over|below|above|least|most) (?P<n>a|one|two|three|four|\d{1,2}) "
                    r"weeks?(?= )")
_WEEK_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}


def weeks_as_days(text: str) -> str:
    """Return the text with a number of weeks after a comparison said in days ("less than a week" is "less
    than 7 days"), padded to the same length so that offsets into the text still hold."""
    def days(found: re.Match[str]) -> str:
        n = found.group("n")
        said = f"{found.group('lead')} {7 * (int(n) if n.isdigit() else _WEEK_COUNTS[n])} days"
        return said + " " * (len(found.group(0)) - len(said))
    return _WEEKS.sub(days, text)


# "filed"/"reported" before a time: which date the window is on, not a metric of their own ("claims filed").
QUALIFIER = re.compile(r"(?<= )(?:filed|reported|submitted|lodged|opened|received)(?= (?:in|during|last|this|since|"
                       r"between|over|from|yesterday|today|past|the|q[1-4]|\d{4}))")


# A dash between two ends of a span ("jan–mar", "2024-2025", "q1-q3", "1-15 march") is "to"; between a
# period and its year ("q1-2025", "march-2026") it only joins them.
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)?"
_PERIOD_END = (rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|(?:{MONTH})|q[1-4]|h[12]|(?:19|20)\d\d"
               rf"|{_DAY_NUMBER}(?= *[-–—] *{_DAY_NUMBER} (?:{MONTH})))")  # "1-15 march": the first day
_DASHED = re.compile(rf"(?<![\w-])(?P<first>{_PERIOD_END}) *[-–—]+ *(?P<second>{_PERIOD_END}|{_DAY_NUMBER}(?= (?:{MONTH})))"
                     r"(?![\w-])")


def _dash_said(found: re.Match[str]) -> str:
    ends = found.group("first"), found.group("second")
    years = [re.fullmatch(r"(?:19|20)\d\d", end) is not None for end in ends]
    named = [not end[:1].isdigit() for end in ends]  # a month, quarter or half
    joined = years.count(True) == 1 and named[years.index(False)]  # "q1-2025", "2025-march": a period of a year
    return f"{ends[0]} {ends[1]}" if joined else f"{ends[0]} to {ends[1]}"


def clean(text: str) -> str:
    """Return the words padded with spaces, lower case: numbers joined ("75,000", "15k" kept), "#" read
    as "number of", possessives dropped, other punctuation a space."""
    # Accents folded as the vocabulary folds them ("dégât" is "degat", "Zürich" "zurich"): never a word split.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = _DASHED.sub(_dash_said, text)
    # Comparison signs in words: "> 40k" is "over 40k", "60+ days" is "60 days or more".
    text = re.sub(r"(?:>=|=>|≥)\s*(?=[\d$])", " at least ", text)
    text = re.sub(r"(?:<=|=<|≤)\s*(?=[\d$])", " at most ", text)
    text = re.sub(r">\s*(?=[\d$])", " over ", text)
    text = re.sub(r"<\s*(?=[\d$])", " under ", text)
    text = re.sub(r"(\d(?:[\d,.]*\d)?\s*(?:k|m)?)\s*\+(\s*days?\b)?", lambda m: f"{m.group(1)}{m.group(2) or ''} or more ", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"'re\b", " are", text)  # "how're we tracking": the contraction said in full
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"\bpayed\b", "paid", text)  # the regular past of "pay", said for its own
    text = text.replace("#", " number of ").replace("&", " and ")
    text = re.sub(r"\$", " $ ", text)
    text = re.sub(r"[^a-z0-9$%./\- ]+", " ", text)
    text = re.sub(r"(?<![0-9])[.\-/](?![0-9])|(?<=[a-z])[.\-]|[.\-](?=[a-z ])", " ", text)
    text = re.sub(r"(?<=[a-z])/(?=[a-z])", " ", text)
    text = re.sub(r"\.$", " ", text)
    text = re.sub(r"(?<![a-z0-9])(\d{1,4})([a-z]{2,8})(?![a-z0-9])", _split_counted_unit, text)
    return " " + " ".join(text.split()) + " "


def amount(found: re.Match[str], num: str = "num", suffix_group: str = "suffix") -> float | int:
    """Return the number an ``AMOUNT`` match stands for ("15k" is 15000)."""
    value = float(found.group(num))
    suffix = found.group(suffix_group) or ""
    value *= {"k": 1000, "thousand": 1000, "grand": 1000, "m": 1_000_000, "million": 1_000_000}.get(suffix, 1)
    return int(value) if value.is_integer() else value


TIME_WORDS = ("quarter", "quarters", "month", "months", "week", "weeks", "year", "years", "today", "yesterday",
               "days", "january", "february", "march", "april", "june", "july", "august", "september",
               "october", "november", "december")


_UNITS = ("day", "days", "week", "weeks", "month", "months", "quarter", "quarters", "year", "years")
_COUNT_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve fifteen eighteen twenty "
                         "thirty sixty ninety few couple".split())


# A follow-up's words that keep the rest of the widget as it is ("same but last quarter", "otherwise the same").
AS_BEFORE = re.compile(r"\b(?:(?:the )?same(?: thing| again)?(?: but)?|otherwise|as before|like before)\b")
_TOTAL_CLAIMS = re.compile(r" total (?:number of |no of |count of )?(?:claims|clms)(?= )"
                           r"(?! (?:value|values|amount|amounts|\$|dollars|cost|costs|paid|claimed|worth)(?= ))")


def claims_counted(text: str) -> str:
    """Return the text with "total claims" said as "number of claims": the claims themselves, counted, unless an
    amount follows ("total claims value"). Left alone, the words read as the sum claimed, one letter away."""
    return _TOTAL_CLAIMS.sub(" number of claims", text)


def fix_time_typos(text: str) -> str:
    """Return the text with misspelt time words put right ("this quater", "last mnth"): a word four
    letters or longer that is not a time word, but is one slip away from one; and, after a number, a unit
    shortened by dropping letters ("6 mths", "21 dys")."""
    words: list[str] = []
    for word in text.split():
        counted = bool(words) and (words[-1].isdigit() or words[-1] in _COUNT_WORDS)
        if counted and (unit := shortened_unit(word)) is not None:
            word = unit
        elif len(word) >= 4 and word not in TIME_WORDS and not word.isdigit():
            best = max(TIME_WORDS, key=lambda known: word_similarity(word, known))
            if word_similarity(word, best) >= 0.85:
                word = best
        words.append(word)
    return " " + " ".join(_shortened_leads(words)) + " "


_LEADS = ("last", "past")
_SHORT_UNITS = frozenset({"yr", "yrs", "wk", "wks", "mo", "mos", "qtr", "qtrs", "q", "d"})


def _shortened_leads(words: list[str]) -> list[str]:
    """Return the words with a window's lead shortened by dropping letters ("lst 6 mos", "lst qtr": last) put
    right. Read only right before a number or a unit, where these letters lead nothing else."""
    fixed = list(words)
    for at, word in enumerate(words[:-1]):
        after = words[at + 1]
        timed = after.isdigit() or after in _COUNT_WORDS or after in _SHORT_UNITS or after in _UNITS
        if timed and word not in _LEADS and len(word) == 3:
            fixed[at] = next((lead for lead in _LEADS if word[0] == lead[0] and word[-1] == lead[-1]
                              and _letters_in_order(word, lead)), word)
    return fixed


def shortened_unit(word: str) -> str | None:
    """Return the time unit a word of three letters or more shortens by leaving letters out, keeping its
    first and last ("mths", "mth", "dys", "qtrs": months, month, days, quarters); None for any other word.
    Read only after a number, where nothing else is counted in these letters."""
    if len(word) < 3:
        return None
    for unit in _UNITS:
        if word == unit or (word[0] == unit[0] and word[-1] == unit[-1] and _letters_in_order(word, unit)):
            return unit
    return None


def says_name(typed: list[str], name: list[str]) -> bool:
    """Tell whether the words ``typed`` say a name of two or more words word for word, at least one of them in
    full and the others shortened or slightly misspelt ("cust segment", "sales chan", "line of bus"): the
    reading of a dimension's name that the reader and the not-applied report share."""
    said = [w for w in typed if w not in STOP]
    words = [w for w in name if w not in STOP]
    if len(words) < 2 or len(said) != len(words):
        return False
    pairs = list(zip(said, words, strict=True))
    return any(_same_word(t, w) for t, w in pairs) and all(
        _same_word(t, w) or word_similarity(t, w) >= 0.8 or shortens(t, w) for t, w in pairs)


def _same_word(a: str, b: str) -> bool:
    return a == b or a.rstrip("s") == b.rstrip("s")


def shortens(typed: str, word: str) -> bool:
    """Tell whether ``typed`` is ``word`` shortened as people shorten words: its start ("cust", "adj",
    "chan"), or its first letter and then only consonants of it, in order ("chnl", "sz", "mgmt")."""
    if len(typed) < 2 or len(typed) >= len(word) or typed[0] != word[0]:
        return False
    if len(typed) >= 3 and word.startswith(typed):
        return True
    return not set(typed[1:]) & set("aeiou") and _letters_in_order(typed, word)


def abbreviates(typed: str, word: str) -> bool:
    """Tell whether ``typed`` is ``word`` written without (some of) its vowels, as people type a name in a hurry:
    its first letter, then every consonant of it in order, a doubled one once ("regn" region, "chnl" channel,
    "adjstr" adjuster, "prdcts" products). Stricter than ``shortens``: no consonant may be left out, so that a
    lone word is read as a name only when it can be no other."""
    if len(typed) < 3 or len(typed) >= len(word) or typed[0] != word[0] or not _letters_in_order(typed, word):
        return False
    return _consonants(typed) == _consonants(word)


def _consonants(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", "".join(c for c in word[1:] if c not in "aeiou"))


def _letters_in_order(short: str, full: str) -> bool:
    rest = iter(full)
    return all(letter in rest for letter in short)


def _split_counted_unit(found: re.Match[str]) -> str:
    """"6mths" is "6 mths" and "90days" "90 days"; "15k", "1st" and "2025w44" are left as typed."""
    number, letters = found.group(1), found.group(2)
    return f"{number} {letters}" if shortened_unit(letters) or letters in ("mo", "wk", "yr") else found.group(0)


SHAPE_PATTERNS = [COURTESY, NOW, *(pattern for _, pattern in CHARTS), CUSTOM, TABLE, TREND, CHARTY, RANK_COMMON, RANK_COUNTED, RANK_N,
                  RANK_N_AFTER, RANK_SUPER, RANKED_BY]


def past_forms(verb: str) -> list[str]:
    """Return the past forms a verb, said plain or with -s or -ing, may have ("deny", "denies", "denying":
    denied; "reject", "rejects": rejected; "decline", "declining": declined)."""
    stems = {verb, verb.removesuffix("s"), verb.removesuffix("ing"), verb.removesuffix("ing") + "e"}
    if verb.endswith("ies"):
        stems.add(verb[:-3] + "y")
    forms = [f"{stem[:-1]}ied" if stem.endswith("y") else f"{stem}d" if stem.endswith("e") else f"{stem}ed"
             for stem in stems if len(stem) >= 3]
    return sorted(set(forms))
