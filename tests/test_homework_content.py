"""What the assignments ask and how each question is graded (issue 18).

Fast tests read the sources: 6 to 8 questions per assignment, at least two numeric (derive or
measure) and one written question with a rubric, the sections each needs and its time, points
on the index page. Slow tests build the assignments, then grade, per assignment in one parallel
run, the solution (full marks), the blank student notebook (0) and one notebook per autograded
question with a typical wrong answer planted in that question's cell (loses exactly that
question's points); export the written answers to PDF; and grade the solution with the Gradescope
zip alone, in a fresh folder, with ``otter run`` (no network).
"""

import copy
import csv
import json
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from homework import build, export, grade

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book" / "homework"
NAMES = build.assignments()

# assignment -> question -> (the function or variable whose cell is replaced, a typical wrong answer)
WRONG = {
    "hw1": {
        "q1": (
            "poly_multiply",
            """
def poly_multiply(c, d):  # one coefficient too many
    out = [0] * (len(c) + len(d))
    for i in range(len(c)):
        for j in range(len(d)):
            out[i + j] += c[i] * d[j]
    return out
""",
        ),
        "q2": (
            "toeplitz_matrix",
            """
def toeplitz_matrix(x, n):  # each column holds x flipped
    x = np.asarray(x, dtype=float)[::-1]
    T = np.zeros((len(x) + n - 1, n))
    for j in range(n):
        T[j:j + len(x), j] = x
    return T
""",
        ),
        "q3": (
            "multiply_digits",
            """
def multiply_digits(a, b):  # digits most significant first
    da, db = [int(ch) for ch in str(a)], [int(ch) for ch in str(b)]
    sums = [0] * (len(da) + len(db) - 1)
    for i, x in enumerate(da):
        for j, y in enumerate(db):
            sums[i + j] += x * y
    return sum(s * 10 ** k for k, s in enumerate(sums))
""",
        ),
        "q4": (
            "cyclic_multiply",
            """
def cyclic_multiply(c, d):  # the terms of power n and above are dropped, not wrapped
    n = len(c)
    out = [0] * n
    for i in range(n):
        for j in range(n):
            if i + j < n:
                out[i + j] += c[i] * d[j]
    return out
""",
        ),
        "q5": (
            "q5_multiplications",
            "q5_multiplications = 99 * 99  # degree, not number of coefficients",
        ),
        "q6": ("q6_largest_sum", "q6_largest_sum = 9 * 9"),
    },
    "hw2": {
        "q1": (
            "output_size",
            """
def output_size(n, k, stride=1, padding=0, dilation=1):  # the last position is counted out
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride
""",
        ),
        "q2": (
            "conv1d",
            """
def conv1d(x, h, stride=1, padding=0, dilation=1):  # the kernel is flipped: a convolution
    return _flipped(x, h, stride, padding, dilation)

def _flipped(x, h, stride, padding, dilation):
    x, h = np.asarray(x, dtype=float), np.asarray(h, dtype=float)[::-1]
    xp = np.concatenate([np.zeros(padding), x, np.zeros(padding)])
    m = (len(xp) - dilation * (len(h) - 1) - 1) // stride + 1
    return np.array([sum(h[j] * xp[i * stride + j * dilation] for j in range(len(h))) for i in range(m)])
""",
        ),
        "q3": (
            "impulse_response",
            """
def impulse_response(system, n):  # the impulse is put at the end
    delta = np.zeros(n)
    delta[-1] = 1.0
    return np.asarray(system(delta), dtype=float)
""",
        ),
        "q4": (
            "is_time_invariant",
            """
def is_time_invariant(system, n=8, trials=5, seed=0):  # compares every sample, also t < k
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        x = np.concatenate([rng.standard_normal(n), np.zeros(n)])
        k = int(rng.integers(1, n + 1))
        delayed = np.concatenate([np.zeros(k), x[:-k]])
        y = np.asarray(system(x), dtype=float)
        if not np.allclose(np.asarray(system(delayed), dtype=float), np.concatenate([np.zeros(k), y[:-k]])):
            return False
    return True
""",
        ),
        "q5": ("q5_span", "q5_span = 3 * 5"),
        "q6": ("q6_padding", "q6_padding = (7 - 1) // 2  # dilation forgotten"),
    },
    "hw3": {
        "q1": (
            "pmf_of_sum",
            """
def pmf_of_sum(p, q):  # one entry too many
    out = np.zeros(len(p) + len(q))
    for i in range(len(p)):
        for j in range(len(q)):
            out[i + j] += p[i] * q[j]
    return out
""",
        ),
        "q2": (
            "dice_sum_pmf",
            """
def dice_sum_pmf(n, sides=6):  # faces 0 .. sides - 1
    pmf = np.array([1.0])
    for _ in range(n):
        pmf = np.convolve(pmf, [1.0 / sides] * sides)
    return pmf
""",
        ),
        "q3": (
            "mean_and_variance",
            """
def mean_and_variance(p):  # the second moment instead of the variance
    k = np.arange(len(p))
    return float(np.sum(k * p)), float(np.sum(k ** 2 * np.asarray(p)))
""",
        ),
        "q4": (
            "prob_at_least",
            """
def prob_at_least(p, t):  # above t, not at least t
    return float(np.sum(np.asarray(p)[max(t + 1, 0):]))
""",
        ),
        "q5": ("q5_n", "q5_n = 30  # P(total > 4n) < 0.05: above, not at least"),
        "q6": (
            "q6_p35",
            "q6_p35 = float(1 / np.sqrt(2 * np.pi * 10 * 35 / 12))  # the normal approximation",
        ),
    },
    "hw4": {
        "q1": (
            "circulant",
            """
def circulant(c):  # c as the first row, not the first column
    n = len(c)
    return np.array([[c[(j - i) % n] for j in range(n)] for i in range(n)], dtype=float)
""",
        ),
        "q2": (
            "circulant_eigenvalues",
            """
def circulant_eigenvalues(c):  # w^(+jk): the sign of the exponent is flipped
    n = len(c)
    w = np.exp(2j * np.pi / n)
    return np.array([sum(c[j] * w ** (j * k) for j in range(n)) for k in range(n)])
""",
        ),
        "q3": (
            "fft_radix2",
            """
def fft_radix2(x):  # twiddle factors e^(+2 pi i k / n): the inverse transform's sign
    x = np.asarray(x, dtype=complex)
    n = len(x)
    if n == 1:
        return x
    even, odd = fft_radix2(x[0::2]), fft_radix2(x[1::2])
    twiddled = np.exp(2j * np.pi * np.arange(n // 2) / n) * odd
    return np.concatenate([even + twiddled, even - twiddled])
""",
        ),
        "q4": (
            "cyclic_convolve_fft",
            """
def cyclic_convolve_fft(c, d):  # the linear convolution cut to n samples: nothing wraps around
    return np.convolve(c, d)[:len(c)]
""",
        ),
        "q5": (
            "tikhonov_deblur",
            """
def tikhonov_deblur(y, h, alpha):  # lambda instead of its conjugate
    lam = np.fft.fft(h)
    return np.real(np.fft.ifft(lam * np.fft.fft(y) / (np.abs(lam) ** 2 + alpha)))
""",
        ),
        "q6": ("q6_multiplications", "q6_multiplications = 1024 * 10  # n log2 n"),
        "q7": (
            "q7_amplification",
            "q7_amplification = 1 / 1.0  # the largest eigenvalue, not the smallest",
        ),
    },
    "hw5": {
        "q1": (
            "conv2d_forward",
            """
def conv2d_forward(x, w, b, stride=1, padding=0):  # a convolution: the kernel is flipped
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding)))
    w = np.asarray(w, dtype=float)[:, :, ::-1, ::-1]
    C_out, C_in, kH, kW = w.shape
    H_out, W_out = (x.shape[1] - kH) // stride + 1, (x.shape[2] - kW) // stride + 1
    y = np.zeros((C_out, H_out, W_out))
    for o in range(C_out):
        for i in range(H_out):
            for j in range(W_out):
                y[o, i, j] = np.sum(x[:, i * stride:i * stride + kH, j * stride:j * stride + kW] * w[o]) + b[o]
    return y
""",
        ),
        "q2": (
            "conv2d_backward",
            """
def conv2d_backward(dy, x, w):  # dx by correlating the padded dy with w: the flip is missing
    dy, x, w = (np.asarray(a, dtype=float) for a in (dy, x, w))
    kH, kW = w.shape
    padded = np.pad(dy, ((kH - 1, kH - 1), (kW - 1, kW - 1)))
    dx = np.array([[np.sum(padded[p:p + kH, q:q + kW] * w) for q in range(x.shape[1])] for p in range(x.shape[0])])
    dw = np.array([[np.sum(x[u:u + dy.shape[0], v:v + dy.shape[1]] * dy) for v in range(kW)] for u in range(kH)])
    return dx, dw
""",
        ),
        "q3": (
            "maxpool2d_backward",
            """
def maxpool2d_backward(dy, x, kernel_size=2, stride=2):  # dy spread over the whole window
    x, dy = np.asarray(x, dtype=float), np.asarray(dy, dtype=float)
    dx = np.zeros_like(x)
    for c in range(dy.shape[0]):
        for i in range(dy.shape[1]):
            for j in range(dy.shape[2]):
                dx[c, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] += dy[c, i, j]
    return dx
""",
        ),
        "q4": (
            "batchnorm2d_train",
            """
def batchnorm2d_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):  # unbiased variance
    x = np.asarray(x, dtype=float)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    y = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + eps)
    y = np.asarray(gamma)[:, None, None] * y + np.asarray(beta)[:, None, None]
    return y, 0.9 * np.asarray(running_mean) + 0.1 * mean, 0.9 * np.asarray(running_var) + 0.1 * var
""",
        ),
        "q5": (
            "winograd_f23",
            """
def winograd_f23(d, g):  # G without the halves
    BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
    G = np.array([[1, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 1]], dtype=float)
    AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)
    return AT @ ((G @ np.asarray(g, dtype=float)) * (BT @ np.asarray(d, dtype=float)))
""",
        ),
        "q6": (
            "q6_multiplications",
            "q6_multiplications = 1024 * 3  # the direct count",
        ),
        "q7": (
            "q7_multiplications",
            "q7_multiplications = 16 * 30 * 30 * 3 * 3 * 3  # padding forgotten",
        ),
    },
    "hw6": {
        "q1": (
            "conv_params",
            """
def conv_params(in_channels, out_channels, kernel_size, bias=True):  # the biases are forgotten
    kH, kW = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * in_channels * kH * kW
""",
        ),
        "q2": (
            "feature_shapes",
            """
def feature_shapes(input_shape, layers):  # channels last: (H, W, C)
    C, H, W = input_shape
    shapes = []
    for layer in layers:
        if layer[0] == "conv":
            _, C, k, s, p = layer
            H, W = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        else:
            H, W = H // layer[1], W // layer[1]
        shapes.append((H, W, C))
    return shapes
""",
        ),
        "q3": (
            "receptive_field",
            """
def receptive_field(layers):  # the strides are ignored
    return 1 + sum(k - 1 for k, s in layers)
""",
        ),
        "q4": (
            "ResidualBlock",
            """
class ResidualBlock(nn.Module):  # no ReLU after the addition
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(torch.relu(self.conv1(x)))
""",
        ),
        "q5": (
            "q5_params",
            "q5_params = (3 * 256 * 256 * 9, 256 * 256 * 49)  # the biases are forgotten",
        ),
        "q6": (
            "q6_macs",
            "q6_macs = 64 * 56 * 56 * 64  # the kernel area is forgotten",
        ),
    },
}


def source_cells(name):
    return nbformat.read(build.SOURCES / f"{name}.ipynb", as_version=4).cells


def question_configs(name):
    """The configuration of every question of a source notebook, in order."""
    configs = []
    for cell in source_cells(name):
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            configs.append(
                dict(
                    line.split(": ", 1)
                    for line in cell.source.splitlines()[1:]
                    if ": " in line
                )
            )
    return configs


def prompts(name):
    return [
        c.source
        for c in source_cells(name)
        if c.cell_type == "markdown" and c.source.startswith("**Question")
    ]


class TestSources:
    @pytest.mark.parametrize("name", NAMES)
    def test_six_to_eight_questions_of_three_kinds(self, name):
        configs, texts = question_configs(name), prompts(name)
        assert 6 <= len(configs) <= 8 and len(texts) == len(configs)
        kinds = [re.search(r"points; (\w+)", text).group(1) for text in texts]
        assert kinds.count("derive") + kinds.count("measure") >= 2, kinds
        manual = [c["name"] for c in configs if c.get("manual") == "true"]
        assert manual and all(
            kind == "explain"
            for kind, c in zip(kinds, configs)
            if c.get("manual") == "true"
        )
        assert sum(
            f"({c['points']} points;" in text for c, text in zip(configs, texts)
        ) == len(configs)

    @pytest.mark.parametrize("name", NAMES)
    def test_each_written_question_has_a_rubric_in_the_solution(self, name):
        cells = source_cells(name)
        for index, cell in enumerate(cells):
            if cell.cell_type == "raw" and "manual: true" in cell.source:
                answer = cells[index + 3]
                assert (
                    cells[index + 2].source == "# BEGIN SOLUTION"
                    and "**Rubric" in answer.source
                )

    @pytest.mark.parametrize("name", NAMES)
    def test_sections_time_and_array_likes_are_stated(self, name):
        intro = source_cells(name)[1].source
        assert "**Sections you need:**" in intro and re.search(
            r"\*\*Time:\*\* about [\d.]+ hours", intro
        )
        for target in re.findall(r"\]\(\.\./([\w/]+\.ipynb)\)", intro):
            toc_entry = "book/" + target.removesuffix(".ipynb")
            assert toc_entry in (ROOT / "_toc.yml").read_text(), (
                f"{target} is not a page of the book"
            )
        assert "array-like" in intro

    @pytest.mark.parametrize("name", NAMES)
    def test_wrong_answers_planted_for_every_autograded_question(self, name):
        autograded = {
            c["name"] for c in question_configs(name) if c.get("manual") != "true"
        }
        assert set(WRONG[name]) == autograded

    def test_index_lists_the_points_of_every_question(self):
        text = (BOOK / "index.md").read_text()
        for name in NAMES:
            row = re.search(
                rf"^\| \[Homework {name[2:]}\]\({name}\.ipynb\) \|(.*)$", text, re.M
            )
            assert row, f"no row for {name} on the index page"
            points = " + ".join(c["points"] for c in question_configs(name))
            assert points in row.group(1), (name, points, row.group(1))
        assert (
            "python -m homework grade" in text and "python -m homework export" in text
        )
        assert "Gradescope" in text


def test_time_invariance_agrees_with_the_book():
    """HW2 states the notation page's definition: y = x + 1 is time-invariant, not linear."""
    text = "\n".join(prompts("hw2"))
    assert "time-invariant" in text and "x + 1" not in text.replace("$y = x + 1$", "")


# ---------------------------------------------------------------------------------------------
# Building, grading and exporting (slow: each graded notebook starts a kernel)


@pytest.fixture(scope="module")
def homework_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("homework")


@pytest.fixture(scope="module")
def built(homework_folder):
    """Every assignment built into a folder of this module's own (``build.DIST`` and
    ``grade.DIST`` point there while it runs): test_homework.py builds into
    homework/dist at the same time on the other worker, and a rebuild deletes the
    autograder zip that a grading run is reading."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "DIST", homework_folder / "dist")
        patch.setattr(grade, "DIST", homework_folder / "dist")
        yield {
            name: build.build_one(name, book=homework_folder / "book") for name in NAMES
        }


def solution(name):
    nb = nbformat.read(build.DIST / name / "autograder" / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
    return nb


def planted(nb, target, source):
    """``nb`` with the code cell that defines ``target`` (a function, class or variable) replaced."""
    pattern = re.compile(rf"^(def |class ){target}\b|^{target} =", re.M)
    (index,) = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and pattern.search(c.source)
    ]
    nb = copy.deepcopy(nb)
    nb.cells[index].source = source.strip()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_each_planted_wrong_answer_loses_exactly_its_question(
    built, homework_folder, name, tmp_path
):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    manifest = built[name]
    sol = solution(name)
    expected = {"solution.ipynb": manifest["max_score"], "blank.ipynb": 0}
    nbformat.write(sol, submissions / "solution.ipynb")
    shutil.copyfile(
        homework_folder / "book" / f"{name}.ipynb", submissions / "blank.ipynb"
    )
    for question, (target, source) in WRONG[name].items():
        nbformat.write(
            planted(sol, target, source), submissions / f"wrong_{question}.ipynb"
        )
        expected[f"wrong_{question}.ipynb"] = (
            manifest["max_score"] - manifest["questions"][question]
        )
    out = tmp_path / "grades.csv"
    grade.grade(
        name,
        submissions,
        out,
        tmp_path / "feedback",
        jobs=2,
        timeout=150,
        cell_timeout=60,
    )
    with open(out, newline="") as f:
        rows = {row["file"]: row for row in csv.DictReader(f)}
    got = {filename: float(row["score"]) for filename, row in rows.items()}
    assert got == expected, {
        f: (rows[f]["status"], rows[f]["reason"][:300])
        for f in rows
        if got[f] != expected[f]
    }
    for question in WRONG[name]:
        assert float(rows[f"wrong_{question}.ipynb"][question]) == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason=export.NO_CHROMIUM)
def test_written_questions_are_exported_to_pdf(built, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in NAMES:
        nbformat.write(solution(name), submissions / f"{name}.ipynb")
    pdfs = export.export(submissions, tmp_path / "pdfs")
    assert [p.name for p in pdfs] == [f"{name}.pdf" for name in NAMES]
    for name, pdf in zip(NAMES, pdfs):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
        html = pdf.with_suffix(".html").read_text()
        manual = [
            c["name"] for c in question_configs(name) if c.get("manual") == "true"
        ]
        for config, text in zip(question_configs(name), prompts(name)):
            number = f"Question {config['name'][1:]}</strong>"
            assert (number in html) == (config["name"] in manual), (
                name,
                config["name"],
            )
        # the solution notebook's answers are exported with their rubric
        assert "Rubric" in html


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gradescope_zip_grades_the_solution_to_full_marks(built, name, tmp_path):
    """Otter's own runner, with nothing but the zip and the notebook, in an empty folder."""
    manifest = built[name]
    zip_path = build.DIST / name / "autograder" / manifest["autograder_zip"]
    shutil.copyfile(zip_path, tmp_path / zip_path.name)
    nbformat.write(solution(name), tmp_path / "submission.ipynb")
    (tmp_path / "out").mkdir()
    env = {
        "PATH": str(pathlib.Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "no_proxy": "*",
    }
    command = [
        sys.executable,
        "-m",
        "otter",
        "run",
        "-a",
        zip_path.name,
        "-o",
        "out",
        "submission.ipynb",
    ]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    scores = {
        test["name"]: test["score"] for test in results["tests"] if "score" in test
    }
    assert {q: scores.get(q) for q in manifest["questions"]} == manifest["questions"], (
        results["tests"]
    )
