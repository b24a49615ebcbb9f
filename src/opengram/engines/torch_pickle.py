"""A legacy (pre-zip) `torch.save()` file read without torch: its tensors come back as numpy arrays.

Resemblyzer ships its encoder's weights in that format (`resemblyzer/pretrained.pt`). The file is a pickle
followed by the tensors' raw storages; a restricted unpickler accepts only the handful of globals a state
dict needs, so loading runs no code.
"""

from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype: type, numel: int):
        self.dtype = np.dtype(dtype)
        self.numel = numel
        self.data: np.ndarray | None = None  # filled after the pickle, where the legacy format keeps it


class _Tensor:
    """A tensor whose storage bytes come after the pickle; materialised once they have been read."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ValueError("tensor storage was never read")
        item = data.itemsize
        return np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * item for s in self.stride]
        ).copy()


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    return _Tensor(storage, storage_offset, size, stride)


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _StateDictUnpickler(pickle.Unpickler):
    """Only what a plain state dict holds; any other global is refused, so no code can run."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def __init__(self, file):
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def persistent_load(self, pid):
        # Legacy format: ('storage', storage_type, key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(_STORAGE_DTYPES[storage_type.name], numel)
        return self.storages[key]


def _walk_tensors(obj):
    if isinstance(obj, _Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _walk_tensors(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk_tensors(v) for v in obj)
    return obj


def load_torch_legacy(path: Path) -> dict:
    """Load a legacy-format torch.save() file (the one Resemblyzer ships) with tensors as numpy arrays."""
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise ValueError(f"{path} is a zip-format torch file; only the legacy format is supported")
        f.seek(0)
        magic = pickle.load(f)
        if magic != 0x1950A86A20F9469CFC6C:
            raise ValueError(f"{path} is not a legacy torch file")
        protocol = pickle.load(f)
        sys_info = pickle.load(f)
        if protocol != 1001 or not sys_info.get("little_endian", False):
            raise ValueError(f"{path}: unsupported torch file (protocol {protocol}, {sys_info})")
        unpickler = _StateDictUnpickler(f)
        result = unpickler.load()
        keys = pickle.load(f)  # storages follow in this order: int64 element count, then raw bytes
        for key in keys:
            storage = unpickler.storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * storage.dtype.itemsize
            raw = f.read(nbytes)
            if numel != storage.numel or len(raw) != nbytes:
                raise ValueError(f"{path}: storage {key} is truncated or inconsistent")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return _walk_tensors(result)
