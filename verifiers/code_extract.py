"""Find the Python code a completion gives as its answer, and join a completion to a function stub.

Pure string functions (code is only parsed, never run), so they are cheap and easy to test.
Running the code is `verifiers.code`'s job.

Where code can be stated:
  1. fenced blocks (``` or ~~~), Python or unlabelled. Of several, the last one that looks like a
     solution (defines a function or class that is not a test, or reads standard input) wins:
     models revise themselves, and put usage examples and tests after the solution.
  2. otherwise bare code: the whole reply when it parses (a completion that continues the prompt),
     else the span from the first line that starts like code to the last line that still parses.
"""
from __future__ import annotations

import ast
import re
import textwrap
import threading
import warnings
from dataclasses import dataclass

from thinkbench.verifiers.math_extract import strip_reasoning

PYTHON_LABELS = frozenset({"", "python", "python3", "py", "py3"})
_FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_DEFINITION_RE = re.compile(r"^[ \t]*(?:async[ \t]+def|def|class)[ \t]+(\w+)", re.MULTILINE)
_READS_STDIN_RE = re.compile(r"\binput\s*\(|\bsys\.stdin\b|\bopen\s*\(\s*0\s*[,)]")
_TEST_NAME_RE = re.compile(r"^(?:test|check$)", re.IGNORECASE)
# Lines that start code rather than prose, for replies that give bare code after some words.
_CODE_START_RE = re.compile(
    r"^(?:(?:async\s+)?def\s+\w+\s*\("
    r"|class\s+\w+"
    r"|import\s+\w"
    r"|from\s+[\w.]+\s+import\s"
    r"|@\w"
    r"|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=(?!=)"
    r"|(?:for|while|if|with|try)\b.*:\s*$"
    r"|print\s*\()"
)
_MAX_BARE_LINES = 1000  # bounds the parse attempts on runaway outputs
DEFAULT_BODY_INDENT = "    "
# What compiling untrusted text may raise: syntax errors, null bytes, nesting too deep.
COMPILE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
# The warnings filter is process-wide state: changing it from several threads at once would lose
# filters, so our quiet compilations take turns.
_quiet = threading.Lock()


def quiet_compile(source: str, filename: str, flags: int = 0):
    """compile(source) without the warnings model code triggers ("invalid escape sequence"), which
    would otherwise spam the run's log. Compiling runs nothing."""
    with _quiet, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, filename, "exec", flags=flags, dont_inherit=True)


def _module(code: str) -> ast.Module | None:
    """The code's syntax tree, read as a module or as an indented function body; None if invalid."""
    try:
        return quiet_compile(textwrap.dedent(code), "<completion>", ast.PyCF_ONLY_AST)
    except COMPILE_ERRORS:
        return None


@dataclass(frozen=True)
class FencedBlock:
    label: str  # the info string's first word, lower-cased ("" when unlabelled)
    code: str


def fenced_blocks(text: str) -> list[FencedBlock]:
    """Every fenced block in order. A block left open at the end runs to the end of the text."""
    blocks: list[FencedBlock] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE_RE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        words = opening.group("info").split()
        label = words[0].lower().strip("{}.") if words else ""
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines) and not closed:
            line = lines[i]
            i += 1
            if closing.match(line):
                closed = True
                continue
            if line.rstrip().endswith(fence):  # "    return x```": the fence closes on a code line
                line, closed = line.rstrip()[: -len(fence)], True
            # A block indented under a list item: its lines carry the fence's indentation.
            body.append(line[len(indent):] if line.startswith(indent) else line)
        code = "\n".join(body).strip("\n")
        if code.strip():
            blocks.append(FencedBlock(label, code + "\n"))
    return blocks


def defined_names(code: str) -> list[str]:
    """Functions and classes the code defines, at any depth, in order (a line scan, so code that
    does not parse still counts)."""
    return _DEFINITION_RE.findall(code)


def _solution_rank(code: str) -> int:
    """2: defines something other than tests; 1: a program reading stdin; 0: anything else (usage
    examples, asserts, sample input or output)."""
    if any(not _TEST_NAME_RE.match(name) for name in defined_names(code)):
        return 2
    return 1 if _READS_STDIN_RE.search(code) else 0


def _is_code(code: str) -> bool:
    """Parses and is more than bare names or constants ("Sorry", "42" parse, but are not code)."""
    tree = _module(code)
    return tree is not None and any(not (isinstance(s, ast.Expr) and isinstance(s.value, (ast.Name, ast.Constant)))
               for s in tree.body)


def _longest_parsing_prefix(lines: list[str]) -> str | None:
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end]).rstrip()
        if candidate and _is_code(candidate):
            return candidate + "\n"
    return None


def bare_code(text: str) -> str | None:
    """Code written without fences: the whole text, or from the first line that starts like code
    (any line, when the text starts indented: a function body continuing a prompt) to the last line
    that keeps it parsing."""
    lines = text.strip("\n").split("\n")[:_MAX_BARE_LINES]
    whole = "\n".join(lines).rstrip()
    if whole.strip() and _is_code(whole):
        return whole + "\n"
    if lines[0][:1].isspace():
        return _longest_parsing_prefix(lines)
    start = next((i for i, line in enumerate(lines) if _CODE_START_RE.match(line)), None)
    if start is None:
        return None
    return _longest_parsing_prefix(lines[start:])


def extract_code(completion: str) -> str | None:
    """The code a completion gives as its answer, or None when it gives none."""
    reply = strip_reasoning(completion)
    if reply is None or not reply.strip():
        return None
    blocks = [b for b in fenced_blocks(reply) if b.label in PYTHON_LABELS]
    if blocks:
        ranked = max(enumerate(blocks), key=lambda ib: (_solution_rank(ib[1].code), ib[0]))
        return ranked[1].code
    if fenced_blocks(reply):
        return None  # only other languages' blocks: the prose around them is not Python
    return bare_code(reply)


def defines_at_top_level(code: str, name: str) -> bool:
    """Whether the code, read as a module, defines function or class `name` at the top level."""
    tree = _module(code)
    if tree is None:
        return any(re.match(rf"(?:async[ \t]+def|def|class)[ \t]+{re.escape(name)}\b", line)
                   for line in textwrap.dedent(code).split("\n"))
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name
               for node in tree.body)


def body_indent(prompt: str) -> str:
    """The indentation of the stub's body (its docstring) at the end of a function prompt."""
    for line in reversed(prompt.rstrip().split("\n")):
        if line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            return indent or DEFAULT_BODY_INDENT
    return DEFAULT_BODY_INDENT


def complete_function(prompt: str, code: str, entry_point: str) -> str:
    """The module that results from answering a function prompt (imports, helpers, a signature and
    docstring) with `code`.

    Code that defines `entry_point` itself (a reply that repeats the signature) comes after the
    whole prompt, whose stub it replaces while the prompt's imports and helpers stay. Anything else
    is the function's body, indented under the stub.
    """
    stub = prompt if prompt.endswith("\n") else prompt + "\n"
    code = code if code.endswith("\n") else code + "\n"
    if defines_at_top_level(code, entry_point):
        return stub + "\n\n" + textwrap.dedent(code)
    indent = body_indent(prompt)
    first = next((line for line in code.split("\n") if line.strip()), "")
    if first.startswith(indent):  # already indented as a continuation of the prompt
        return stub + code
    return stub + textwrap.indent(textwrap.dedent(code), indent)
