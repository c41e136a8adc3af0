#!/bin/sh
# make_corpus.sh MTA — (re)generate the seed corpora of the fuzz targets in tests/fuzz/corpus/
# from the engine itself and the model files: small valid inputs of every format.
set -eu
mta=${1:?usage: tests/fuzz/make_corpus.sh MTA}
C=tests/fuzz/corpus
rm -rf $C; mkdir -p $C/model $C/json $C/safetensors $C/idx $C/cifar $C/fit_tsv $C/text
cp experiments/models/*.model $C/model/
printf 'conv_bn_relu out=4 k=3 pad=1\nmaxpool k=2 stride=2\nstage block=basic blocks=1 out=8 stride=2\ninception c1=2 c3r=2 c3=2 c5r=2 c5=2 pool=2\navgpool\nflatten\ndropout p=0.5\nlinear out=classes\nsoftmax\n' > $C/model/mixed.model
printf 'conv out=2 k=1\nrelu6\nstage block=inverted blocks=2 out=4 expand=2 stride=1\nstage block=bottleneck blocks=1 mid=2 out=4\navgpool\nflatten\nlinear out=classes bias=0\n' > $C/model/blocks.model
# a tiny checkpoint, and its JSON header
printf 'conv_bn_relu out=2 k=3 pad=1\navgpool\nflatten\nlinear out=classes\n' > $C/tiny.model.tmp
$mta init $C/tiny.model.tmp --seed 1 --out $C/safetensors/tiny.safetensors > /dev/null
rm -f $C/tiny.model.tmp
python3 - "$C" <<'PY'
import struct, sys, gzip
C = sys.argv[1]
b = open(f"{C}/safetensors/tiny.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
open(f"{C}/json/header.json", "wb").write(b[8:8 + n])
open(f"{C}/json/small.json", "wb").write(b'{"a":[1,-2.5e3,true,false,null],"b":{"c":"\\u00e9\\n"}}')
# a raw safetensors with F16/BF16/I64 tensors and metadata, hand-built
def st(tensors, meta=None):
    hdr, data = {}, b""
    for name, (dt, shape, raw) in tensors.items():
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta: hdr["__metadata__"] = meta
    import json
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + data
open(f"{C}/safetensors/dtypes.safetensors", "wb").write(st({
    "a": ("F16", [2], b"\x00\x3c\x00\xc0"), "b": ("BF16", [1, 2], b"\x80\x3f\x00\x40"),
    "c": ("I64", [], struct.pack("<q", 7)), "d": ("F64", [1], struct.pack("<d", 1e300))}, {"format": "other"}))
# IDX: first byte of the input picks the file (0..3) and gzip (bit 2)
img = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes((i * 7) % 256 for i in range(2 * 784))
lab = bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 3])
for k, body in enumerate([img, lab, img, lab]):
    open(f"{C}/idx/raw{k}", "wb").write(bytes([k]) + body)
    open(f"{C}/idx/gz{k}", "wb").write(bytes([k | 4]) + gzip.compress(body, mtime=0))
# CIFAR: bit 0 = CIFAR-100, bits 1.. = which file
rec10 = bytes([3]) + bytes((i * 13) % 256 for i in range(3072))
rec100 = bytes([1, 7]) + bytes((i * 13) % 256 for i in range(3072))
open(f"{C}/cifar/c10_batch1", "wb").write(bytes([0]) + rec10 * 2)
open(f"{C}/cifar/c10_test", "wb").write(bytes([5 << 1]) + rec10)
open(f"{C}/cifar/c100_train", "wb").write(bytes([1]) + rec100 * 2)
open(f"{C}/cifar/c100_test_coarse", "wb").write(bytes([1 | (1 << 1) | (1 << 4)]) + rec100)
# fit TSV: three models, a few rows each
rows = ["model\ttitle\tjs_flops\tacc_loss"]
for m, s in (("A", 1.0), ("B", 2.0), ("C", 0.5)):
    for i, x in enumerate((0.001, 0.01, 0.1, 1.0, 5.0)):
        rows.append(f"{m}\tT{i}\t{x * s:.6g}\t{min(0.9, 0.05 * x * s):.6g}")
open(f"{C}/fit_tsv/results.tsv", "w").write("\n".join(rows) + "\n")
open(f"{C}/fit_tsv/edge.tsv", "w").write("model\tjs_flops\tacc_loss\r\nA\tnan\t1\r\nA\t1e-300\t-0\r\n\r\nB\t3\t")
PY
# text: a PTB-style file, and a fortune database (overstrike, BEL, CRLF, UTF-8, 11 entries)
printf ' aer banknote berlitz <unk> calloway\n the N year old\n\n mr. <unk> is chairman\r\n' > $C/text/ptb.txt
printf "_\bI don't ____\b\b\b\bknow, it's 3.14 o'clock.\n\t-- Someone\n%%\nBell\a\a!! caf\303\251 1,000 mp3\n%%\r\nWait...\n%%\n\n%%\nso-called 'quoted' e.g. x\n%%\na\n%%\nb\n%%\nc\n%%\nd\n%%\ne\n%%\nf\n%%\ng\n" > $C/text/fortune.txt
ls -la $C/*/ | awk '{s += $5} END {print "corpus bytes:", s}'
