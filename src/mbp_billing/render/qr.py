"""The QR code matrix encoder: reportlab's ``QrCodeWidget``, module for module, faster.

reportlab's QrCodeWidget took two thirds of a page's rendering time: it
recomputes the Reed-Solomon generator for every symbol, scores each of the
eight masks with list-of-bool Python code, then makes one validated Rect
shape per run of dark modules and sends each through the generic shape
renderer.  Here the layout of each version is computed once, the eight
candidate matrices are rows of bits scored with integer operations
(reportlab's rules, quirks included), and the dark runs of each row are
written as rectangles of one filled path, in module units
(:func:`pdf_operators`).  reportlab still picks the segment mode and encodes
the payload, and writes the format and version information.
``tests/test_render_qr.py`` holds the matrix to the widget's (reportlab's
reference encoder) and reads the drawn modules back from the PDF.

What the code says (the EPC069-12 payload) is made by
:mod:`mbp_billing.render.epc`; where it goes on the page by
:func:`mbp_billing.render.blocks.payment`.
"""

from __future__ import annotations

import functools
import importlib.util
import operator
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import attrs
import reportlab.graphics
from reportlab.lib.rl_accel import fp_str

__all__ = ["encode", "pdf_operators", "penalty"]


def _reportlab_qrencoder() -> ModuleType:
    """reportlab's QR encoder module, without the barcode widgets of its package.

    ``import reportlab.graphics.barcode.qrencoder`` first runs the package's
    ``__init__``, which imports every barcode widget and, through them,
    platypus: about 0.2 s of each process's start-up (issue 12), for a
    module that itself imports only ``re`` and ``itertools``.  Its source
    file is loaded on its own instead, under a private name; if reportlab is
    not installed as files, or the widgets are loaded already, the module
    is imported the usual way.
    """
    name = "reportlab.graphics.barcode.qrencoder"
    if name in sys.modules or "reportlab.graphics.barcode" in sys.modules:
        return importlib.import_module(name)
    path = Path(reportlab.graphics.__file__).parent / "barcode" / "qrencoder.py"
    spec = importlib.util.spec_from_file_location(f"{__name__}._reportlab_qrencoder", path)
    if spec is None or spec.loader is None or not path.is_file():
        return importlib.import_module(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from reportlab.graphics.barcode import qrencoder
else:
    qrencoder = _reportlab_qrencoder()

_BORDER: Final = 4  # Modules of quiet zone around the symbol (QrCodeWidget's barBorder).
_FINDER_LIKE: Final = "10111010000"


def pdf_operators(modules: list[list[bool]], x: float, y: float, size: float) -> str:
    """PDF operators drawing ``modules`` as a QR code of ``size`` points at (x, y).

    A white square (the quiet zone included), then the dark modules in black:
    a scale to module units puts the symbol's bottom-left module at (0, 0),
    and each run of dark modules in a row is one ``re`` of the filled path.
    """
    count = len(modules)
    box = fp_str(size / (count + 2 * _BORDER))
    corner = fp_str(x + _BORDER * size / (count + 2 * _BORDER),
                    y + _BORDER * size / (count + 2 * _BORDER))
    runs = []
    for r, row in enumerate(modules):
        bottom, left = count - 1 - r, 0
        for run in bytes(row).split(b"\0"):  # The runs of dark modules, and the gaps.
            if run:
                runs.append(f"{left} {bottom} {len(run)} 1 re")
            left += len(run) + 1
    return "\n".join([
        "q", "1 1 1 rg", f"{fp_str(x, y, size, size)} re f",
        "0 0 0 rg", f"{box} 0 0 {box} {corner} cm", *runs, "f", "Q",
    ])


def encode(payload: str, level_name: str = "M") -> list[list[bool]]:
    """The module matrix ``QrCodeWidget(payload, barLevel=level_name)`` draws.

    Args:
        payload: the text to encode (as UTF-8 when it is not numeric or
            alphanumeric: reportlab picks the segment mode).
        level_name: the error correction level, ``"L"``, ``"M"``, ``"Q"``
            or ``"H"``.

    Returns:
        The rows of the symbol from the top, each module ``True`` when dark;
        no quiet zone.

    Examples:
        >>> modules = encode("BCD")
        >>> len(modules), len(modules[0]), modules[0][:8]
        (21, 21, [True, True, True, True, True, True, True, False])
    """
    level: int = getattr(qrencoder.QRErrorCorrectLevel, level_name)
    qr = qrencoder.QRCode(None, level)
    qr.addData(payload)  # reportlab picks the segment mode
    version: int = qr.calculate_version()  # type: ignore[no-untyped-call]
    layout = _layout(version, level)
    n = layout.size
    codewords = _codewords(qr.dataList, version, level)
    bits = format(int.from_bytes(bytes(codewords)), f"0{8 * len(codewords)}b")
    # Each data cell takes its bit of the codewords, the cells past their end a 0.
    data = int("".join(layout.gather(bits + "0" * (layout.data_cells - len(bits) + 1))), 2)
    candidates = [layout.fixed | ((data ^ mask) & layout.data_area) for mask in layout.masks]
    # reportlab's getBestMaskPattern: the lowest penalty, the first of equals.
    best = min(range(8), key=lambda i: (penalty(candidates[i], n), i))
    # What makeImpl(False, best) makes: the same matrix with its format
    # (and, from version 7, version) information written in.
    qr.version, qr.moduleCount = version, n
    cells = format(candidates[best], f"0{n * n}b")
    qr.modules = [[bit == "1" for bit in cells[r:r + n]] for r in range(0, n * n, n)]
    qr.setupTypeInfo(False, best)
    if version >= 7:
        qr.setupTypeNumber(False)
    modules: list[list[bool]] = qr.modules
    return modules


@attrs.frozen
class _Layout:
    """Where a QR symbol of one version and level keeps its data.

    A matrix is one integer of ``size * size`` bits, row after row from the
    top, each row's left module first (most significant).
    """

    size: int
    fixed: int  # function patterns, format areas blank (reportlab's test mode)
    data_area: int
    masks: tuple[int, ...]  # each of the eight masks over the data area
    data_cells: int
    # The matrix's bits as text from the data bits: for each cell, in matrix
    # order, the index of its data bit (a 0 after the data for the others).
    gather: Callable[[str], tuple[str, ...]]


@functools.lru_cache(maxsize=16)
def _layout(version: int, level: int) -> _Layout:
    qr = qrencoder.QRCode(version, level)
    qr.makeImpl(True, 0)
    n: int = qr.moduleCount
    matrix = int("".join("1" if m else "0" for row in qr.modules for m in row), 2)
    positions: list[tuple[int, int]] = qr.dataPosIterator()  # type: ignore[no-untyped-call]
    bit_index = {(row, col): k for k, (col, row) in enumerate(positions)}
    zero = len(positions)
    data_area = int("".join("1" if (r, c) in bit_index else "0"
                            for r in range(n) for c in range(n)), 2)
    masks = []
    for pattern in range(8):
        dark = qrencoder.QRUtil.getMask(pattern)  # type: ignore[no-untyped-call]
        masks.append(int("".join("1" if (r, c) in bit_index and dark(r, c) else "0"
                                 for r in range(n) for c in range(n)), 2))
    gather = operator.itemgetter(*(bit_index.get((r, c), zero)
                                   for r in range(n) for c in range(n)))
    return _Layout(n, matrix & ~data_area, data_area, tuple(masks), zero, gather)


def _codewords(segments: list[Any], version: int, level: int) -> list[int]:
    """reportlab's ``QRCode.createData``: data, padding, Reed-Solomon, interleaved."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)  # type: ignore[no-untyped-call]
    buffer = _Bits()
    for segment in segments:
        segment.write(buffer, version)
    capacity = sum(block.dataCount for block in blocks)
    if buffer.length > capacity * 8:
        raise ValueError(f"code length overflow. ({buffer.length} > {capacity * 8})")
    if buffer.length + 4 <= capacity * 8:
        buffer.put(0, 4)  # terminator
    buffer.put(0, -buffer.length % 8)
    codes = list(buffer.value.to_bytes(buffer.length // 8))
    codes += [(0xEC, 0x11)[k % 2] for k in range(capacity - len(codes))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = codes[offset:offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.totalCount - block.dataCount))
    return [b[i] for group in (data_blocks, ec_blocks)
            for i in range(max(len(b) for b in group)) for b in group if i < len(b)]


class _Bits:
    """reportlab's ``QRBitBuffer`` as one integer: what the segments write into."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        """Append the ``length`` low bits of ``num``, most significant first."""
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length

    def putBit(self, bit: bool) -> None:  # reportlab's name
        self.put(int(bit), 1)

    def getLengthInBits(self) -> int:  # reportlab's name
        return self.length


@functools.lru_cache(maxsize=32)
def _rs_products(ec_count: int) -> tuple[int, ...]:
    """For each byte f, f times the generator polynomial (after its leading 1),
    as one integer of ``ec_count`` bytes."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count)  # type: ignore[no-untyped-call]
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE  # GF(256) of the QR code
    logs = [log[c] for c in generator.num[1:]]
    products = [0]
    for factor in range(1, 256):
        shift = log[factor]
        products.append(int.from_bytes(bytes(exp[(g + shift) % 255] for g in logs)))
    return tuple(products)


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    """The ``ec_count`` Reed-Solomon error correction codewords of ``data``.

    The remainder is one integer of ``ec_count`` bytes: each data codeword
    shifts it by a byte and adds the generator times the byte that fell out.
    """
    products = _rs_products(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << top) - 1
    remainder = 0
    for code in data:
        remainder = ((remainder & keep) << 8) ^ products[code ^ (remainder >> top)]
    return list(remainder.to_bytes(ec_count))


@functools.lru_cache(maxsize=16)
def _penalty_masks(n: int) -> tuple[int, int, int, int]:
    """Which bits of an ``n`` x ``n`` matrix the penalty rules look at.

    Bits of a row's cells but its last (a module with a right neighbour);
    those in rows but the first (with a neighbour above); the two; and those
    where a finder-like pattern can end (at least one module before the
    last, and eleven modules in the row).
    """
    row = (1 << n) - 1
    rows = [row >> 1, row, row >> 1, ((1 << (n - 11)) - 1) << 1]
    whole = [sum(r << (k * n) for k in range(n)) for r in rows]
    below_first = (1 << ((n - 1) * n)) - 1
    return whole[0], below_first, whole[2] & below_first, whole[3]


def penalty(matrix: int, n: int) -> int:
    """reportlab's ``QRUtil.getLostPoint`` of a matrix of ``n * n`` bits.

    Each rule is counted on the whole matrix at once, as one integer of
    ``n * n`` bits (row after row from the top, left module first); masks
    keep neighbours from different rows apart.  Rule 1 gives a run of
    ``L >= 5`` equal modules ``L - 2`` points: that is one point per window
    of five equal modules in it (``L - 4``) plus two per run.
    """
    right, below_first, square, finder = _penalty_masks(n)
    score = 0
    # Rule 1, along rows: a bit of ``same`` says a module and its right
    # neighbour agree; a window of five needs four such bits in a row.
    same = ~(matrix ^ (matrix >> 1)) & right
    windows = same & (same >> 1) & (same >> 2) & (same >> 3)
    score += windows.bit_count() + 2 * (windows & ~(windows >> 1)).bit_count()
    # Rule 1, down columns: the same with a module and the one above it.
    agree = ~(matrix ^ (matrix >> n)) & below_first
    windows = agree & (agree >> n) & (agree >> 2 * n) & (agree >> 3 * n)
    score += windows.bit_count() + 2 * (windows & ~(windows >> n)).bit_count()
    # Rule 2: each 2x2 block of equal modules.
    score += 3 * (agree & (agree >> 1) & same & square).bit_count()
    # Rule 3: finder-like 1011101 0000, in rows only and never ending at the
    # last module (reportlab compares column tuples with a list: never equal).
    found = finder
    for k, bit in enumerate(_FINDER_LIKE):
        shifted = matrix >> (len(_FINDER_LIKE) - 1 - k)
        found &= shifted if bit == "1" else ~shifted
    score += 40 * found.bit_count()
    # Rule 4: the share of dark modules away from 50%.
    dark = matrix.bit_count()
    score += 10 * (abs(100 * dark // (n * n) - 50) // 5)
    return score
