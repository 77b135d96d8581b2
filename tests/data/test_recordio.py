"""RecordIO-protobuf: hand-checked bytes, round trips, and an independent protobuf reader."""

import struct

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from kfsm_lab.data import recordio


def _record_class():
    """Build aialgs.data.Record from record.proto's field numbers with the protobuf runtime."""
    fdp = descriptor_pb2.FileDescriptorProto(name="kfsm_test_record.proto", package="aialgs.data",
                                             syntax="proto2")
    T = descriptor_pb2.FieldDescriptorProto
    for name, ftype in (("Float32Tensor", T.TYPE_FLOAT), ("Float64Tensor", T.TYPE_DOUBLE),
                        ("Int32Tensor", T.TYPE_INT32)):
        m = fdp.message_type.add(name=name)
        m.field.add(name="values", number=1, type=ftype, label=T.LABEL_REPEATED).options.packed = True
        m.field.add(name="keys", number=2, type=T.TYPE_UINT64, label=T.LABEL_REPEATED).options.packed = True
        m.field.add(name="shape", number=3, type=T.TYPE_UINT64, label=T.LABEL_REPEATED).options.packed = True
    v = fdp.message_type.add(name="Value")
    v.oneof_decl.add(name="value")
    for name, num, typ in (("float32_tensor", 2, "Float32Tensor"), ("float64_tensor", 3, "Float64Tensor"),
                           ("int32_tensor", 7, "Int32Tensor")):
        v.field.add(name=name, number=num, type=T.TYPE_MESSAGE, type_name=f".aialgs.data.{typ}",
                    label=T.LABEL_OPTIONAL, oneof_index=0)
    r = fdp.message_type.add(name="Record")
    for entry, num in (("FeaturesEntry", 1), ("LabelEntry", 2)):
        e = r.nested_type.add(name=entry)
        e.options.map_entry = True
        e.field.add(name="key", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
        e.field.add(name="value", number=2, type=T.TYPE_MESSAGE, type_name=".aialgs.data.Value",
                    label=T.LABEL_OPTIONAL)
        r.field.add(name="features" if num == 1 else "label", number=num, type=T.TYPE_MESSAGE,
                    type_name=f".aialgs.data.Record.{entry}", label=T.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("aialgs.data.Record"))


Record = _record_class()


def test_hand_checked_byte_layout_of_one_record():
    data = recordio.write_dense_tensor(np.array([[1.0, 2.0]], dtype=np.float32), np.array([3]))
    floats = struct.pack("<ff", 1.0, 2.0)
    features = b"\x0a\x16" + b"\x0a\x06values" + b"\x12\x0c" + b"\x12\x0a" + b"\x0a\x08" + floats
    label = b"\x12\x0f" + b"\x0a\x06values" + b"\x12\x05" + b"\x3a\x03" + b"\x0a\x01\x03"
    payload = features + label
    assert len(payload) == 41
    expected = b"\x0a\x23\xd7\xce" + b"\x29\x00\x00\x00" + payload + b"\x00\x00\x00"
    assert data == expected
    assert len(data) % 4 == 0


def test_independent_reader_agrees():
    rng = np.random.default_rng(0)
    X = rng.random((7, 784), dtype=np.float32)
    y = np.arange(7)
    data = recordio.write_dense_tensor(X, y)
    rows = list(recordio.iter_frames(data))
    assert len(rows) == 7
    for i, payload in enumerate(rows):
        rec = Record()
        rec.ParseFromString(bytes(payload))
        np.testing.assert_array_equal(np.array(rec.features["values"].float32_tensor.values, np.float32), X[i])
        assert list(rec.label["values"].int32_tensor.values) == [i]


def test_reader_reads_protobuf_runtime_output():
    rec = Record()
    rec.features["values"].float64_tensor.values.extend([0.5, 0.25, 1.0])
    rec.label["values"].float32_tensor.values.append(9.0)
    X, y = recordio.read_dense_tensor(recordio.frame(rec.SerializeToString()))
    np.testing.assert_array_equal(X, [[0.5, 0.25, 1.0]])
    np.testing.assert_array_equal(y, [9.0])


@pytest.mark.parametrize("dtype, field", [(np.float32, "float32_tensor"), (np.float64, "float64_tensor")])
def test_feature_types_follow_dtype(dtype, field):
    data = recordio.write_dense_tensor(np.ones((2, 3), dtype=dtype))
    rec = Record()
    rec.ParseFromString(bytes(next(recordio.iter_frames(data))))
    assert rec.features["values"].WhichOneof("value") == field
    assert len(rec.label) == 0


def test_round_trip():
    rng = np.random.default_rng(1)
    X = rng.random((50, 784), dtype=np.float32)
    y = rng.integers(0, 10, 50)
    X2, y2 = recordio.read_dense_tensor(recordio.write_dense_tensor(X, y))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_errors():
    with pytest.raises(ValueError, match="Matrix"):
        recordio.write_dense_tensor(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        recordio.write_dense_tensor(np.ones((2, 2), dtype=np.float16))
    with pytest.raises(ValueError, match="bad magic"):
        list(recordio.iter_frames(b"\x00" * 8))
    good = recordio.write_dense_tensor(np.ones((1, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="truncated"):
        list(recordio.iter_frames(good[:-6]))
