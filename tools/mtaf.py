#!/usr/bin/python3
"""MTAF: the fixture file format shared by tools/gen_fixtures.py and tests/fixture.h.

Layout, all integers little-endian u32:

    magic   0x4641544D ("MTAF" in file order)
    version 1
    count   number of entries
    count x entry:
        name_len, name (UTF-8 bytes, no NUL)
        dtype   0 = f32, 1 = i64, 2 = u8
        ndim, dims[ndim]
        data    prod(dims) elements of dtype, little-endian, C (row-major) order

A 0-dim entry (ndim 0) holds one element.  Entry names are unique.

    write(path, entries)   entries: iterable of (name, value); value is a torch tensor, a numpy
                           array, bytes (-> u8 [len]) or str (-> UTF-8 u8 [len]).
    read(path)             -> dict name -> (dtype_name, dims tuple, python list of values)
                           (u8 entries come back as bytes).

python3 tools/mtaf.py FILE...   lists the entries of fixture files.
"""
import struct
import sys

MAGIC = 0x4641544D
VERSION = 1
DTYPES = {0: ('f32', '<f', 4), 1: ('i64', '<q', 8), 2: ('u8', 'B', 1)}
DTYPE_CODE = {'f32': 0, 'i64': 1, 'u8': 2}


def _as_entry(value):
    """(dtype_code, dims, raw little-endian bytes) for one value."""
    if isinstance(value, str):
        value = value.encode('utf-8')
    if isinstance(value, (bytes, bytearray)):
        return 2, (len(value),), bytes(value)
    try:
        import torch
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            if t.dtype == torch.float32:
                code = 0
            elif t.dtype == torch.int64:
                code = 1
            elif t.dtype == torch.uint8:
                code = 2
            else:
                raise TypeError('mtaf: unsupported torch dtype %s' % t.dtype)
            value = t.numpy()
            return code, tuple(value.shape), value.astype(value.dtype.newbyteorder('<')).tobytes()
    except ImportError:
        pass
    import numpy as np
    a = np.ascontiguousarray(value)
    kinds = {np.dtype('float32'): 0, np.dtype('int64'): 1, np.dtype('uint8'): 2}
    if a.dtype.newbyteorder('=') not in kinds:
        raise TypeError('mtaf: unsupported numpy dtype %s' % a.dtype)
    code = kinds[a.dtype.newbyteorder('=')]
    return code, tuple(a.shape), a.astype(a.dtype.newbyteorder('<')).tobytes()


def write(path, entries):
    """Write entries (iterable of (name, value)) to path; names must be unique."""
    items = list(entries)
    names = [n for n, _ in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError('mtaf: duplicate entry names %s' % dup)
    out = [struct.pack('<III', MAGIC, VERSION, len(items))]
    for name, value in items:
        code, dims, raw = _as_entry(value)
        n = 1
        for d in dims:
            n *= d
        assert len(raw) == n * DTYPES[code][2], (name, dims, len(raw))
        nb = name.encode('utf-8')
        out.append(struct.pack('<I', len(nb)) + nb)
        out.append(struct.pack('<II', code, len(dims)) + struct.pack('<%dI' % len(dims), *dims))
        out.append(raw)
    with open(path, 'wb') as f:
        f.write(b''.join(out))


def read(path):
    """Parse an MTAF file; returns {name: (dtype_name, dims, values)} in file order."""
    with open(path, 'rb') as f:
        buf = f.read()
    pos = 0

    def take(n, what):
        nonlocal pos
        if pos + n > len(buf):
            raise ValueError('%s: truncated while reading %s at byte %d' % (path, what, pos))
        b = buf[pos:pos + n]
        pos += n
        return b

    magic, version, count = struct.unpack('<III', take(12, 'header'))
    if magic != MAGIC:
        raise ValueError('%s: bad magic 0x%08x, expected 0x%08x' % (path, magic, MAGIC))
    if version != VERSION:
        raise ValueError('%s: version %d, expected %d; run `make fixtures`' % (path, version, VERSION))
    res = {}
    for i in range(count):
        (nl,) = struct.unpack('<I', take(4, 'entry %d name length' % i))
        name = take(nl, 'entry %d name' % i).decode('utf-8')
        code, ndim = struct.unpack('<II', take(8, 'entry %r dtype/ndim' % name))
        if code not in DTYPES:
            raise ValueError('%s: entry %r has unknown dtype %d' % (path, name, code))
        dims = struct.unpack('<%dI' % ndim, take(4 * ndim, 'entry %r dims' % name))
        n = 1
        for d in dims:
            n *= d
        dname, fmt, size = DTYPES[code]
        raw = take(n * size, 'entry %r data' % name)
        vals = raw if code == 2 else list(struct.unpack('<%d%s' % (n, fmt[1]), raw))
        res[name] = (dname, dims, vals)
    if pos != len(buf):
        raise ValueError('%s: %d trailing bytes after %d entries' % (path, len(buf) - pos, count))
    return res


def main(argv):
    for path in argv:
        entries = read(path)
        print('%s: %d entries' % (path, len(entries)))
        for name, (dname, dims, vals) in entries.items():
            if dname == 'u8':
                text = vals.decode('utf-8', 'replace').replace('\n', '\\n')
                shown = repr(text[:60])
            else:
                shown = ' '.join('%.6g' % v for v in vals[:4]) + (' ...' if len(vals) > 4 else '')
            print('  %-36s %-3s %-16s %s' % (name, dname, 'x'.join(map(str, dims)) or '[]', shown))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
