"""The `multiple_choice` verifier: which lettered option a completion picks.

Explicit statements count first ("The answer is (C)", "Answer: C) ...", "\\boxed{C}", a bold
**C** on its own line), the last one winning since models revise themselves. Only when there is
none does a lone letter on the final line count, so that prose like "A train leaves..." is never
read as option A. When the option texts are known, stating an option's text counts as picking it.
"""
from __future__ import annotations

import re

from thinkbench.harness.errors import InputError
from thinkbench.verifiers import SameByForm, Verdict, register
from thinkbench.verifiers.math_extract import boxed_contents, strip_reasoning

NO_ANSWER_REASON = "no answer"

_ANCHOR = (
    r"(?:\banswer\s*(?:is|:|=|would\s+be|should\s+be|must\s+be)"
    r"|\b(?:correct|right|best|final)\s+(?:answer|option|choice)\b\s*(?:is|:|=|would\s+be|should\s+be|must\s+be)?"
    r"|\b(?:i|we)\s+(?:choose|select|pick|go\s+with))"
)
# Between the phrase and the letter: markdown, math delimiters, a hedge, the word "option".
_FILLER = (
    r"(?:[\s:*_$]|\\[(\[])*(?:(?:clearly|definitely|therefore|thus|indeed|likely|probably)\s+)?"
    r"(?:option|choice|letter)?(?:[\s:*_$]|\\[(\[])*"
)
_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}")


def _norm_text(text: str) -> str:
    """Option text compared loosely: case, markdown, LaTeX delimiters and punctuation ignored."""
    text = _TEXT_CMD_RE.sub(r"\1", text).replace("$", "")
    text = re.sub(r"[*_`]", "", text).casefold()
    return " ".join(re.sub(r"[^\w\s.+\-/^=<>]", " ", text).split()).strip(" .")


@register("multiple_choice")
class MultipleChoiceVerifier(SameByForm):
    """Options: `letters`, the option letters in order (default "ABCD")."""

    name = "multiple_choice"
    check_in_pool = False  # comparing two letters is cheaper than shipping them to a process

    def __init__(self, letters: str = "ABCD") -> None:
        if not isinstance(letters, str) or not letters or not letters.isalpha() or not letters.isupper() \
                or len(set(letters)) != len(letters):
            raise InputError(f"verifier 'multiple_choice': letters must be distinct capital letters, not {letters!r}")
        self.letters = letters
        upper = "".join(re.escape(c) for c in letters)
        lower = upper.lower()
        # A capital stands alone; a lower-case one only in brackets or right before ")" "." ":" or
        # the end, so that "the answer is a prime" is not option A.
        self._token = (
            rf"(?:[(\[]\s*(?P<a>[{upper}{lower}])\s*[)\]]"
            rf"|(?P<b>[{upper}])(?![\w'])"
            rf"|(?P<c>[{lower}])(?=\s*[).:]|\s*$))"
        )
        self._phrase_re = re.compile(_ANCHOR + _FILLER, re.IGNORECASE)
        self._token_re = re.compile(self._token)
        self._option_is_right_re = re.compile(
            rf"\b(?i:option|choice)\s+{self._token}\s+(?i:is|seems)\s+(?i:the\s+)?(?i:correct|right|best|true)\b"
        )
        self._bold_re = re.compile(rf"\*\*\s*\(?([{upper}])\)?\s*\*\*[\s.!]*$", re.MULTILINE)
        self._final_line_re = re.compile(
            rf"^[\s*_#>]*(?:[(\[]\s*([{upper}{lower}])\s*[)\]](?:\s.*)?|([{upper}])(?:[.):](?:\s.*)?)?)[\s*_.]*$"
        )

    @property
    def options(self) -> dict:
        return {"letters": self.letters}

    def gold(self, raw: str) -> str:
        letter = self._letter(re.sub(r"^[\s(\[]*|[\s)\].:]*$", "", raw))
        if letter is None:
            raise InputError(f"verifier 'multiple_choice': gold answer {raw!r} is not one of {', '.join(self.letters)}")
        return letter

    def _letter(self, text: str) -> str | None:
        t = text.strip().upper()
        return t if len(t) == 1 and t in self.letters else None

    def _choice_for_text(self, text: str, choices: list[str] | None, exact: bool = False) -> str | None:
        """The letter of the option whose text `text` states: exactly, or unless `exact`, the only
        option text inside it."""
        if not choices:
            return None
        said = _norm_text(text)
        if not said:
            return None
        texts = [_norm_text(c) for c in choices[: len(self.letters)]]
        same = [i for i, t in enumerate(texts) if t and t == said]
        if len(same) == 1:
            return self.letters[same[0]]
        if exact:
            return None
        inside = [i for i, t in enumerate(texts) if t and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", said)]
        return self.letters[inside[0]] if len(inside) == 1 else None

    def _token_letter(self, text: str) -> str | None:
        m = self._token_re.match(text)
        if m is None:
            return None
        return (m.group("a") or m.group("b") or m.group("c")).upper()

    def _explicit(self, reply: str, choices: list[str] | None) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for pos, content in boxed_contents(reply):
            inner = content.strip()
            letter = self._token_letter(inner) or self._choice_for_text(inner, choices)
            if letter:
                found.append((pos, letter))
        for m in self._phrase_re.finditer(reply):
            rest = reply[m.end():]
            letter = self._token_letter(rest)
            if letter is None:
                line = rest.split("\n", 1)[0]
                letter = self._choice_for_text(re.split(r"(?<!\d)\.(?!\d)", line, 1)[0], choices)
            if letter:
                found.append((m.start(), letter))
        for m in self._option_is_right_re.finditer(reply):
            found.append((m.start(), (m.group("a") or m.group("b") or m.group("c")).upper()))
        for m in self._bold_re.finditer(reply):
            found.append((m.start(), m.group(1)))
        return found

    def _final_line(self, reply: str, choices: list[str] | None) -> str | None:
        lines = [line for line in reply.splitlines() if line.strip()]
        if not lines:
            return None
        last = lines[-1]
        if m := self._final_line_re.match(last):
            return (m.group(1) or m.group(2)).upper()
        # Unanchored prose ("surely not London") must name an option exactly to count.
        return self._choice_for_text(last, choices, exact=True)

    def extract(self, completion: str, choices: list[str] | None = None) -> str | None:
        """The chosen letter, or None. `choices` (option texts in letter order) lets a stated
        option text count as an answer."""
        reply = strip_reasoning(completion)
        if reply is None or not reply.strip():
            return None
        reply = _TEXT_CMD_RE.sub(r"\1", reply)  # "\text{C}" states C as plainly as "C"
        found = self._explicit(reply, choices)
        if found:
            return max(found)[1]
        return self._final_line(reply, choices)

    def check(self, extracted: str, gold: str) -> Verdict:
        return Verdict(extracted, extracted == gold)

    def grade(self, completion: str, gold: str, choices: list[str] | None = None) -> Verdict:
        extracted = self.extract(completion, choices)
        if extracted is None:
            return Verdict(None, False, NO_ANSWER_REASON)
        return self.check(extracted, gold)
