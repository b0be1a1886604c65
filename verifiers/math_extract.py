"""Find the final answer a completion states for a math problem, as a short LaTeX-ish string.

Pure string functions: no sympy here, so they are cheap, deterministic and easy to test. Deciding
whether the answer is *right* is `verifiers.math`'s job.

Where an answer can be stated, strongest signal first (within one kind the last one wins, because
models revise themselves and restate at the end):
  1. \\boxed{...} / \\fbox{...}
  2. GSM8K-style "#### 72"
  3. "final answer ..." / "the answer is ..." / "Answer: ..."
  4. the formula a finished output closes on ("$$\\cot B = 3$$", then perhaps an end-of-solution mark)
  5. optionally, the last number of the closing paragraph
Several boxes joined only by "and", "or", commas or "x =" state one answer with several solutions
("$x = \\boxed{2}$ or $x = \\boxed{-4}$" -> "2, -4"); boxes with other words between them are
revisions, and the last one counts.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Where models put their reasoning: the reply is what follows the last closing delimiter.
_THOUGHT_DELIMITERS = (("<think>", "</think>"), ("<|begin_of_thought|>", "<|end_of_thought|>"))
# Formats that also mark the reply's conclusion: only that part states the answer.
_SOLUTION_DELIMITERS = (("<|begin_of_solution|>", "<|end_of_solution|>"), ("<answer>", "</answer>"))

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\s*(\{)?")
# GSM8K's "#### 72", not a markdown heading ("#### Step 2"): the value must start right away.
_HASHES_RE = re.compile(r"####[ \t]*([-+$\\\d.(\[][^\n]*)")
_PHRASE_RE = re.compile(
    # "final answer" alone only when the answer follows at once: "the final answer by adding ..." is prose.
    r"\bfinal\s+answer\b(?:\s+is\b|\s*[:=]|(?=\s*(?:\$|\\[(\[]|\\boxed|-?\d)))"
    r"|\banswer\b\s*(?:is\b|would\s+be\b|should\s+be\b|will\s+be\b|[:=])",
    re.IGNORECASE,
)
# The last-number fallback: a simple \frac first, so that its digits are not taken one by one.
_LAST_NUMBER_RE = re.compile(
    r"\\[dt]?frac\{-?\d+(?:\.\d+)?\}\{-?\d+(?:\.\d+)?\}"
    r"|(?:(?<![\w)\]}])-)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:/\d+)?%?"
)

# Words that end the answer when they follow it at bracket depth 0: "... is 5 because ...".
_STOP_WORDS_RE = re.compile(
    r"\s+(?:because|since|which|so|as|hence|thus|therefore|given|when|where|meaning|i\.e\.|but"
    r"|and\s+(?:i|we|this|that|it|the|so|thus|hence))\b",
    re.IGNORECASE,
)
# After a comma, a new clause: "8 hours, I add 1 to ..." ends the answer at the comma.
_COMMA_CLAUSE_RE = re.compile(r",\s+(?:i|we|you|it|this|that|then|now|next|here|there)\b", re.IGNORECASE)
# A phrase whose answer starts like this is prose ("the answer is correct"), not an answer.
_PROSE_STARTS = frozenset(
    "a an the this that these those it not no yes correct incorrect wrong right clear simple "
    "obvious below above following as to in of given found obtained that's therefore thus so "
    "indeed then now we i let unknown unclear see shown provided".split()
)
_MATHY_RE = re.compile(r"[\d\\=+\-*/^()\[\]{}<>$%]")
_SPACING_RE = re.compile(r"\\\\|\\[,;:! ]|~")  # a LaTeX line break (\\) is kept
_THOUSANDS_TOKEN_RE = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d])")
_TEXT_CMD_RE = re.compile(r"\\(?:text|textrm|textbf|textit|mbox|mathrm|operatorname)\s*\{([^{}]*)\}")
_UNIT_WORDS_RE = re.compile(r"^(?P<num>.*?[\d}%])\s+(?P<units>[A-Za-z][A-Za-z.\s/]*(?:\^\{?[23]\}?)?)$")
# What may stand between boxes that list one answer's parts: a comma, "and", "or", and the name
# the next value is for ("x_2 ="). Boxes after part letters ("(a) ... (b) ...") answer separate
# questions, of which the last is graded.
_BOX_JOINER_RE = re.compile(
    r"\s*[,;&]?\s*(?:and|or)?\s*(?:(?:[A-Za-z](?:_\{?\w+\}?)?'*|\\[A-Za-z]+)\s*(?:=|\\in)\s*)?",
    re.IGNORECASE)
_PROSE_NUMBER_RE = re.compile(r"(?<![\w.,])-?\d+(?:,\d{3})*(?:\.\d+)?%?(?!\w)")
# Marks that end a solution after its last statement: "**End of solution**", "\blacksquare", "Q.E.D.".
_END_MARK_RE = re.compile(
    r"(?:\s|\*\*|__|-{3,}|\$?\\(?:blacksquare|square|qed|Box)\b\$?|[\u220e\u25a1]"
    r"|(?:end\s+of\s+(?:the\s+)?(?:solution|proof|answer)|q\.?\s?e\.?\s?d)\.?)+\Z",
    re.IGNORECASE)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\$([^$]+?)\$|\\\((.+?)\\\)", re.DOTALL)
_MAX_SPAN = 2000  # an answer is never longer; bounds the work on runaway outputs
_CONNECTIVES = frozenset({"and", "or", "to", "through", "plus", "minus", "times", "over", "pi"})
# Words around the one number of a boxed sentence ("Tom has 12.00 apples left") that change what
# the number means, so the sentence is not reduced to it.
_QUALIFIERS = _CONNECTIVES | frozenset(
    "least most than not no between except under above below nearly almost exceed exceeds up sqrt sin cos "
    "tan cot sec csc log ln exp mod inf infinity percent squared cubed multiple "
    "multiples factor factors divisor divisors divisible power powers root roots square cube half twice double "
    "triple quarter".split())
# Two-letter words after a number are variables ("2 xy") unless they are units.
_SHORT_UNITS = frozenset("m cm mm km g kg mg l ml s ms h hr min ft in yd mi oz lb lbs mph kph".split())


def strip_reasoning(text: str) -> str | None:
    """The part of a completion meant as the reply: after the last </think> (or
    <|end_of_thought|>), and within <|begin_of_solution|> ... <|end_of_solution|> (or <answer>
    ... </answer>) when the output marks its solution.

    An opened thought that is never closed means the model ran out of tokens while reasoning, so
    there is no reply (None) and nothing in the reasoning counts as an answer.
    """
    for open_, close in _THOUGHT_DELIMITERS:
        at = text.rfind(close)
        if at >= 0:
            text = text[at + len(close):]
        elif open_ in text:
            return None
    for open_, close in _SOLUTION_DELIMITERS:
        at = text.rfind(open_)
        if at >= 0:
            solution = text[at + len(open_):]
            end = solution.find(close)
            return solution if end < 0 else solution[:end]
    return text


def _matching_brace(text: str, open_at: int) -> int | None:
    """Index of the brace closing the one at `open_at`, ignoring escaped braces (\\{ \\})."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None  # truncated output: the box never closes


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every complete \\boxed{...} / \\fbox{...}, outermost ones only."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    while (m := _BOX_RE.search(text, pos)) is not None:
        if m.group(1):
            end = _matching_brace(text, m.end() - 1)
            if end is None:
                pos = m.end()
                continue
            found.append((m.start(), end + 1, text[m.end():end]))
            pos = end + 1
        else:
            # "\boxed 5": the argument is the next token only
            arg = re.match(r"\s*([^\s$.,]+)", text[m.end():])
            if arg:
                found.append((m.start(), m.end() + arg.end(), arg.group(1)))
            pos = m.end()
    return found


def boxed_contents(text: str) -> list[tuple[int, str]]:
    """(position, content) of every complete \\boxed{...} / \\fbox{...}, outermost ones only."""
    return [(start, content) for start, _, content in _boxes(text)]


def _joins(between: str) -> bool:
    """Whether the text between two boxes (or formulas) only lists them: "$ or $x = ", ", \\quad x_2 = "."""
    t = unwrap_text(between)
    t = re.sub(r"\$|\\[()\[\]]|\\q?quad\b|\\\\|\\[,;: ]|~", " ", t)
    return _BOX_JOINER_RE.fullmatch(t) is not None


def _boxed_answer(reply: str) -> str | None:
    """The answer the last boxes state: the last box, with the boxes listed together with it."""
    boxes = [b for b in _boxes(reply) if b[2].strip() != "ANSWER"]  # our prompts' placeholder, echoed back
    last = len(boxes) - 1
    while last >= 0:
        first = last
        while first > 0 and _joins(reply[boxes[first - 1][1]:boxes[first][0]]):
            first -= 1
        answers = [a for a in (normalize_answer(b[2]) for b in boxes[first:last + 1]) if a is not None]
        if answers:
            return ", ".join(dict.fromkeys(answers))  # the same answer boxed twice is one answer
        last = first - 1
    return None


def _math_span(text: str) -> str | None:
    """The content of a math span that `text` starts with ($..$, $$..$$, \\(..\\), \\[..\\])."""
    for open_, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(open_):
            end = text.find(close, len(open_))
            if end < 0:
                return None
            return text[len(open_):end]
    return None


def _first_math_segment(text: str) -> str | None:
    m = re.search(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", text, re.DOTALL)
    if m is None:
        return None
    return next(g for g in m.groups() if g is not None)


def _sentence(text: str) -> str:
    """`text` up to the end of its first sentence, not cutting inside brackets or decimals."""
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            if c == "\n" or c in ";!?":
                break
            if c == "." and (i + 1 == len(text) or not text[i + 1].isdigit()):
                break
            if c == "," and i + 1 < len(text) and text[i + 1] == " ":
                if _STOP_WORDS_RE.match(text, i + 1) or _COMMA_CLAUSE_RE.match(text, i):
                    break
            if c == " " and _STOP_WORDS_RE.match(text, i):
                break
        i += 1
    return text[:i]


def _listed_formulas(text: str) -> str | None:
    """The formula `text` starts with, or the formulas it lists when the list ends the sentence:
    "$x = 2$ or $x = -4$." -> "x = 2, x = -4"."""
    formulas, end = [], 0
    for m in _MATH_SPAN_RE.finditer(text):
        listed = _joins(text[end:m.start()]) if formulas else m.start() == 0
        if not listed:
            break
        formulas.append(next(g for g in m.groups() if g is not None))
        end = m.end()
    if len(formulas) > 1 and not re.match(r"[ \t]*(?:[.!]|\n|$)", text[end:]):
        del formulas[1:]
    return ", ".join(formulas) if formulas else None


def _phrase_answer(rest: str) -> str | None:
    """The answer stated right after an answer phrase; `rest` is the text that follows it."""
    rest = re.sub(r"^[\s:*_=#]*", "", rest[:_MAX_SPAN])
    if not rest.strip():
        return None
    if (math := _listed_formulas(rest.replace("\\$", ""))) is not None:
        return math
    sentence = _sentence(rest)
    if (math := _first_math_segment(sentence)) is not None:
        return math
    return _result_of_arithmetic(sentence)


def _result_of_arithmetic(span: str) -> str:
    """'16 * 3 = 42 and you can check it' -> '42': the value a worked calculation ends on."""
    m = re.fullmatch(r"[\d\s.,+\-*/x×()]+=\s*(-?\d[\d,]*(?:\.\d+)?)\b.*", span, re.DOTALL)
    return m.group(1) if m else span


def _looks_like_answer(candidate: str) -> bool:
    if _MATHY_RE.search(candidate):
        return True
    words = candidate.split()
    return 0 < len(words) <= 3 and re.sub(r"\W", "", words[0].lower()) not in _PROSE_STARTS


def _drop_units(answer: str) -> str:
    """'12 \\text{ cm}' -> '12', '72 apples' -> '72'; leaves '\\text{Monday}' and '2 and 3' alone."""
    while True:
        m = re.search(r"\s*" + _TEXT_CMD_RE.pattern + r"(?:\^\{?[23]\}?)?\s*$", answer)
        if m is None or not m.start() or not re.fullmatch(r"[A-Za-z .^23/]*", m.group(1)):
            break
        if m.group(1).strip().lower() in _CONNECTIVES or not answer[: m.start()].strip():
            break
        answer = answer[: m.start()]
    m = _UNIT_WORDS_RE.match(answer) if len(answer) <= _MAX_SPAN else None
    if m:
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", m.group("units"))]
        if all(w not in _CONNECTIVES and (len(w) >= 3 or w in _SHORT_UNITS) for w in words):
            answer = m.group("num")
    return answer.strip()


def _drop_thousands_separators(answer: str) -> str:
    # Only when every comma belongs to a digit group: "1,234" is a number, "(1,234)" or
    # "1, 2, 3" are not ours to rewrite.
    if re.search(r"[()\[\]]|\\\{", answer):
        return answer
    if answer.count(",") != sum(t.count(",") for t in _THOUSANDS_TOKEN_RE.findall(answer)):
        return answer
    return _THOUSANDS_TOKEN_RE.sub(lambda m: m.group(0).replace(",", ""), answer)


def _number_in_prose(answer: str) -> str:
    """'Tom has 12.00 apples left' -> '12.00': a sentence in words around one number, nothing
    mathematical, states that number. Leaves '2 and 3', 'x 5', 'at least 12' and formulas alone."""
    plain = unwrap_text(answer).replace("\\$", " ").replace("\\%", "%")
    if len(plain) > _MAX_SPAN or re.search(r"[=<>^_{}\\|+*/()\[\]]", plain):
        return answer
    numbers = _PROSE_NUMBER_RE.findall(plain)
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", plain)]
    if len(numbers) != 1 or not any(len(w) >= 2 for w in words) or _QUALIFIERS.intersection(words):
        return answer
    return numbers[0]


def unwrap_text(answer: str) -> str:
    """\\text{...} and its kin replaced by their content, set off by spaces."""
    return _TEXT_CMD_RE.sub(r" \1 ", answer)


def strip_layout(answer: str) -> str:
    """Without what only typesets: \\displaystyle, \\left and \\right, {,}, spacing commands (a
    LaTeX line break is kept) and braces around the whole answer."""
    a = re.sub(r"\\(?:displaystyle|left|right)(?![A-Za-z])", "", answer)
    a = a.replace("{,}", ",")
    # 1\,000 and 10,\!080: thin spaces between digit groups
    a = re.sub(r"(?<=\d)\\,(?=\d{3}(?!\d))", "", a)
    a = re.sub(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))", ",", a)
    a = _SPACING_RE.sub(lambda m: m.group(0) if m.group(0) == "\\\\" else " ", a).strip()
    # A group around the whole answer (\boxed{{7/4}}) only typesets, but math-verify reads it as a
    # one-element set: {(-2, 1)} would not equal (-2, 1), and parsing a set costs ten times more.
    while a.startswith("{") and _matching_brace(a, 0) == len(a) - 1:
        a = a[1:-1].strip()
    return a


def normalize_answer(answer: str) -> str | None:
    """Tidy a raw answer span: delimiters, markdown, currency, spacing, separators, units."""
    # A pool states the same few answers many times over; a runaway span (a box around a whole
    # 100k-character trace) is neither repeated nor worth holding in memory.
    return _normalized(answer) if len(answer) <= _MAX_SPAN else _normalized.__wrapped__(answer)


@lru_cache(maxsize=16384)
def _normalized(answer: str) -> str | None:
    a = answer.strip().replace("\u2212", "-")
    if boxes := boxed_contents(a):
        a = boxes[-1][1]
    else:
        a = re.sub(r"^\\(?:boxed|fbox)\s*\{", "", a)  # a box the output never closed
    a = re.sub(r"^[*_`\s]+|[*_`\s]+$", "", a)
    if (math := _math_span(a)) is not None:
        a = math
    a = a.replace("\\$", "").replace("$", "")
    a = strip_layout(a)
    a = re.sub(r"[\s.,;:]+$", "", a).strip()
    a = _drop_units(a)
    a = _number_in_prose(a)
    a = _drop_thousands_separators(a)
    a = re.sub(r"\s+", " ", a).strip()
    return a or None


def last_number(text: str) -> str | None:
    """The last number in `text` (a plain \\frac counts as one), or None."""
    matches = list(_LAST_NUMBER_RE.finditer(text))
    return matches[-1].group(0) if matches else None


def _closing_formula(reply: str) -> str | None:
    """The formula a finished output ends on ("... so\n$$\\cot B = 3$$" and perhaps an end mark),
    when nothing but punctuation follows it."""
    text = reply[-_MAX_SPAN:]
    if (mark := _END_MARK_RE.search(text)) is not None:
        text = text[:mark.start()]
    spans = list(_MATH_SPAN_RE.finditer(text))
    if not spans or text[spans[-1].end():].strip(" \t\n.!*_") != "":
        return None
    formula = next(g for g in spans[-1].groups() if g is not None)
    if re.fullmatch(r"\s*[A-Za-z]\s*", formula):
        return None  # "... and solve for $x$.": a name, not a value
    return re.sub(r"(?:\\q?quad)?\s*\\(?:blacksquare|square|qed|Box)\s*$", "", formula)


def extract_final_answer(text: str, last_number_fallback: bool = True, closing_fallback: bool = True
                         ) -> str | None:
    """The final answer stated in a completion, normalized, or None when it states none.

    closing_fallback: take the formula the output closes on when it states no answer otherwise
    (off for an output cut at its token limit: its end is where the cut fell).
    """
    reply = strip_reasoning(text)
    if reply is None or not reply.strip():
        return None
    if (answer := _boxed_answer(reply)) is not None:
        return answer
    for m in reversed(list(_HASHES_RE.finditer(reply))):
        if (answer := normalize_answer(_sentence(m.group(1)))) is not None:
            return answer
    for m in reversed(list(_PHRASE_RE.finditer(reply))):
        span = _phrase_answer(reply[m.end():])
        if span is None or not _looks_like_answer(span):
            continue
        if (answer := normalize_answer(span)) is not None:
            return answer
    if closing_fallback and (formula := _closing_formula(reply)) is not None:
        if (answer := normalize_answer(formula)) is not None:
            return answer
    # Only the closing paragraph: a number from earlier working ("27, which is not possible")
    # is not a conclusion the output reached.
    closing = reply.strip().rsplit("\n\n", 1)[-1]
    if last_number_fallback and (number := last_number(closing)) is not None:
        return normalize_answer(number)
    return None


def gold_answer(raw: str) -> str:
    """The canonical gold answer from a dataset field: after GSM8K's '####', a MATH solution's
    last \\boxed{}, or else the field itself."""
    text = raw.strip()
    if "####" in text:
        return text.rsplit("####", 1)[1].strip().replace(",", "")
    if boxes := boxed_contents(text):
        return boxes[-1][1].strip()
    return text
