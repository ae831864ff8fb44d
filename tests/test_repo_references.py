"""No file of the repository refers to a document, file or module that is
not in it.

Every text file under the repository's own directories is scanned for

* Markdown documents by name (``docs/methods.md#ripu``, ``README.md``, a
  bare ``NAME.md``) and the anchors after them;
* relative Markdown links (``[text](../configs/ripu/)``) in ``.md`` files;
* repository paths (``mmda/utils/atomic_write.py``, ``configs/ripu/``; a
  path of another repository is cited as ``owner/name:path``);
* dotted module paths (``mmda.engine.hooks``, ``:class:`~mmda.models.RIPU```)
  in code, comments and docstrings: the longest importable module prefix
  is found and the rest must be its attributes.

A failure names the file, the line and the reference.
"""
import ast
import importlib
import importlib.util
import io
import os
import os.path as osp
import re
import tokenize
from typing import Dict, Iterable, List, Optional, Set

import pytest

from conftest import REPO

#: What is scanned: the repository's own files (not data, work dirs, venvs)
SCANNED = ('README.md', 'setup.cfg', 'setup.py', '.ci', 'benchmarks',
           'configs', 'docs', 'mmda', 'slurm', 'tests', 'tools')
TEXT_EXTENSIONS = ('.py', '.md', '.sh', '.cfg', '.txt', '.yaml', '.yml',
                   '.json', '')
SELF = osp.join('tests', osp.basename(__file__))
#: top-level directories whose paths are checked when a text names them
PATH_ROOTS = ('benchmarks', 'configs', 'docs', 'mmda', 'slurm', 'tests',
              'tools')

_MD_NAME = re.compile(r'(?<![\w/.-])((?:\.{1,2}/|[\w-]+/)*[\w.-]*\w\.md)'
                      r'(#[\w-]+)?(?![\w/-])')
_MD_LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
_REPO_PATH = re.compile(r'(?<![\w/.$<{:-])((?:%s)/[\w./*<>{}-]*)' %
                        '|'.join(PATH_ROOTS))
_MODULE = re.compile(r'(?<![\w./-])(mmda(?:\.\w+)+)')
_ANCHOR_ID = re.compile(r'<a\s+(?:name|id)="([^"]+)"')
#: a code block of a walk-through that creates a file: ``# file: PATH``
_PLANNED_FILE = re.compile(r'^# file: (\S+)$')


def text_files(root: str) -> List[str]:
    """The scanned text files of ``root``, relative paths, sorted."""
    found = []
    for entry in SCANNED:
        path = osp.join(root, entry)
        if osp.isfile(path):
            found.append(entry)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = [
                d for d in dirnames
                if d != '__pycache__' and not d.startswith('.')
            ]
            for name in filenames:
                if osp.splitext(name)[1] in TEXT_EXTENSIONS:
                    found.append(
                        osp.relpath(osp.join(dirpath, name), root))
    return sorted(found)


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r'[`*_]', '', heading.strip().lower())
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(md_path: str) -> Set[str]:
    """The anchors of a Markdown file: headings and explicit ids."""
    found = set()
    with open(md_path, encoding='utf-8') as f:
        in_code = False
        for line in f:
            if line.lstrip().startswith('```'):
                in_code = not in_code
                continue
            if in_code:
                continue
            found.update(_ANCHOR_ID.findall(line))
            heading = re.match(r'#{1,6}\s+(.*)', line)
            if heading:
                found.add(slug(heading.group(1)))
    return found


class ReferenceChecker:
    """Checks the references of the text files of one repository tree."""

    def __init__(self, root: str):
        self.root = root
        self.md_names: Dict[str, List[str]] = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith('.')
                           and d not in ('__pycache__', 'work_dirs', 'data')]
            for name in filenames:
                if name.endswith('.md'):
                    self.md_names.setdefault(name, []).append(
                        osp.join(dirpath, name))
        self._anchors: Dict[str, Set[str]] = {}
        self._modules: Dict[str, Optional[str]] = {}

    # ------------------------------------------------------------- pieces
    def _anchor_problem(self, md_path: str, anchor: str) -> Optional[str]:
        if md_path not in self._anchors:
            self._anchors[md_path] = anchors(md_path)
        if anchor not in self._anchors[md_path]:
            return (f'no anchor #{anchor} in '
                    f'{osp.relpath(md_path, self.root)}')
        return None

    def _md_problem(self, name: str, anchor: Optional[str],
                    here: str) -> Optional[str]:
        """A Markdown document named in a text: a path (from the
        repository root or the file's directory) or a bare file name."""
        if '/' in name:
            candidates = [osp.normpath(osp.join(self.root, name)),
                          osp.normpath(osp.join(osp.dirname(here), name))]
            existing = [c for c in candidates if osp.isfile(c)]
        else:
            existing = list(self.md_names.get(name, []))
            local = osp.join(osp.dirname(here), name)
            if osp.isfile(local):
                existing = [local]
        if not existing:
            return f'{name} is not in the repository'
        if anchor:
            return self._anchor_problem(existing[0], anchor.lstrip('#'))
        return None

    def _link_problem(self, target: str, here: str) -> Optional[str]:
        if re.match(r'[a-z]+:', target):
            return None  # a URL
        path, _, anchor = target.partition('#')
        full = osp.normpath(osp.join(osp.dirname(here), path)) if path \
            else here
        if not osp.exists(full):
            return f'link target {target} does not exist'
        if anchor and full.endswith('.md'):
            return self._anchor_problem(full, anchor)
        return None

    def _path_problem(self, token: str,
                      planned: Set[str]) -> Optional[str]:
        token = token.rstrip('.,;:')
        if any(c in token for c in '*<>{}') or '...' in token or \
                '..' in token.split('/') or token.endswith(('-', '_')):
            return None  # a pattern, a placeholder or a name's prefix
        path = osp.join(self.root, token)
        if osp.exists(path) or osp.isfile(path + '.py') or \
                token.rstrip('/') in planned:
            return None
        return f'{token} is not in the repository'

    def _module_problem(self, dotted: str) -> Optional[str]:
        if dotted in self._modules:
            return self._modules[dotted]
        parts = dotted.split('.')
        problem = None
        module_parts = 1
        for n in range(len(parts), 0, -1):
            name = '.'.join(parts[:n])
            try:
                found = importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                module_parts = n
                break
        attrs = parts[module_parts:]
        if attrs:
            module = importlib.import_module('.'.join(parts[:module_parts]))
            obj = module
            for attr in attrs:
                if not hasattr(obj, attr):
                    problem = (f'{dotted}: {".".join(parts[:module_parts])} '
                               f'has no {".".join(attrs)}')
                    break
                obj = getattr(obj, attr)
        self._modules[dotted] = problem
        return problem

    # ---------------------------------------------------------- checking
    def check_line(self, rel: str, line: str, modules: bool = True,
                   planned: Set[str] = frozenset()) -> Iterable[str]:
        """The problems of one line of ``rel``; ``modules``: whether dotted
        module paths on it are references (prose, comments, docstrings);
        ``planned``: paths the file's walk-through creates (and their
        directories)."""
        here = osp.join(self.root, rel)
        for m in _MD_NAME.finditer(line):
            if '//' in line[max(0, m.start() - 8):m.start()]:
                continue  # part of a URL
            problem = self._md_problem(m.group(1), m.group(2), here)
            if problem:
                yield problem
        if rel.endswith('.md'):
            for m in _MD_LINK.finditer(line):
                problem = self._link_problem(m.group(1), here)
                if problem:
                    yield problem
        for m in _REPO_PATH.finditer(line):
            if m.group(1).endswith('.md') or '#' in line[m.end():m.end() + 1]:
                continue  # a document: checked above, with its anchor
            problem = self._path_problem(m.group(1), planned)
            if problem:
                yield problem
        if modules:
            for m in _MODULE.finditer(line):
                problem = self._module_problem(m.group(1).rstrip('.'))
                if problem:
                    yield problem

    def check(self, files: Iterable[str]) -> List[str]:
        """``file:line: problem`` for every broken reference."""
        broken = []
        for rel in files:
            with open(osp.join(self.root, rel), encoding='utf-8') as f:
                lines = f.readlines()
            planned = planned_paths(lines) if rel.endswith('.md') else set()
            prose = prose_lines(rel, lines)
            for lineno, line in enumerate(lines, 1):
                for problem in self.check_line(rel, line, lineno in prose,
                                               planned):
                    broken.append(f'{rel}:{lineno}: {problem}')
        return broken


def prose_lines(rel: str, lines: List[str]) -> Set[int]:
    """The line numbers of ``rel`` that are prose: comments and docstrings
    of Python code (other strings are data, e.g. a format name), Markdown
    outside fenced code blocks (example code is not the repository's), any
    line of other files."""
    if rel.endswith('.py'):
        source = ''.join(lines)
        found = {tok.start[0] for tok in tokenize.generate_tokens(
            io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Expr) and isinstance(
                    node.value, ast.Constant) and isinstance(
                        node.value.value, str):
                found.update(range(node.lineno, node.end_lineno + 1))
        return found
    if rel.endswith('.md'):
        found, in_code = set(), False
        for lineno, line in enumerate(lines, 1):
            if line.lstrip().startswith('```'):
                in_code = not in_code
            elif not in_code:
                found.add(lineno)
        return found
    return set(range(1, len(lines) + 1))


def planned_paths(lines: List[str]) -> Set[str]:
    """The files a walk-through creates (``# file: PATH`` as the first line
    of a code block) and their directories."""
    planned = set()
    for line in lines:
        m = _PLANNED_FILE.match(line.strip())
        if m:
            parts = m.group(1).split('/')
            planned.update('/'.join(parts[:n])
                           for n in range(1, len(parts) + 1))
    return planned


def test_repository_refers_only_to_what_it_has():
    # (this file's own examples of broken references are not scanned)
    files = [f for f in text_files(REPO) if f != SELF]
    broken = ReferenceChecker(REPO).check(files)
    assert not broken, 'references to nothing:\n' + '\n'.join(broken)


def test_methods_doc_has_the_anchors_code_cites():
    """The sections the code cites exist, under stable anchors."""
    found = anchors(osp.join(REPO, 'docs', 'methods.md'))
    for anchor in ('label-spaces', 'evaluation', 'baselines', 'ripu',
                   'advent', 'minent', 'advent-minent-ensemble', 'intrada',
                   'plca', 'tgcf-da', 'self-ensembling', 'ema-teacher',
                   'gio-ada', 'embedded-benchmark', 'references'):
        assert anchor in found, anchor


@pytest.fixture
def broken_tree(tmp_path):
    """A small repository with one broken reference of each kind."""
    md = 'methods.md'
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / md).write_text(
        '# Methods\n\n<a id="ripu"></a>\n## RIPU\n\n## Two Words\n'
        '[ok](../mmda/a.py) [ok](#two-words) [bad](../mmda/gone.py)\n'
        '[bad anchor](#nowhere)\n'
        '```python\n# file: mmda/planned.py\nmmda.planned.Thing\n```\n'
        'Then `mmda/planned.py` and `mmda/unplanned.py`.\n')
    (tmp_path / 'mmda').mkdir()
    (tmp_path / 'mmda' / 'a.py').write_text(
        '"""See docs/%s#ripu and docs/%s#two-words."""\n'
        '# see docs/%s#plca\n'
        '# see OTHER.md and docs/gone.md\n'
        '# see mmda/a.py and mmda/b.py\n'
        '# :mod:`mmda.utils.nothing_here`\n'
        "FORMAT = 'mmda.a_format_name'\n" % (md, md, md))
    return tmp_path


def test_checker_names_file_line_and_reference(broken_tree):
    checker = ReferenceChecker(str(broken_tree))
    broken = checker.check(['docs/methods.md', 'mmda/a.py'])
    md = 'methods.md'
    assert broken == [
        f'docs/{md}:7: link target ../mmda/gone.py does not exist',
        f'docs/{md}:8: no anchor #nowhere in docs/{md}',
        f'docs/{md}:13: mmda/unplanned.py is not in the repository',
        f'mmda/a.py:2: no anchor #plca in docs/{md}',
        'mmda/a.py:3: OTHER.md is not in the repository',
        'mmda/a.py:3: docs/gone.md is not in the repository',
        'mmda/a.py:4: mmda/b.py is not in the repository',
        'mmda/a.py:5: mmda.utils.nothing_here: mmda.utils has no '
        'nothing_here',
    ]


def test_slug_is_githubs():
    assert slug('AdvEnt+MinEnt') == 'adventminent'
    assert slug('Methods: what mmda implements') == \
        'methods-what-mmda-implements'
    assert slug('The `iface` helper') == 'the-iface-helper'
