"""MNIST data: sources, splits, the two SageMaker k-means formats, and the S3 layout."""

from .csvio import from_csv, to_csv
from .layout import S3Layout, split_s3_uri
from .mnist import MnistSplits, Split, load, load_idx, load_pkl, load_sample
from .recordio import read_dense_tensor, write_dense_tensor

__all__ = [
           "MnistSplits",
           "S3Layout",
           "Split",
           "from_csv",
           "load",
           "load_idx",
           "load_pkl",
           "load_sample",
           "read_dense_tensor",
           "split_s3_uri",
           "to_csv",
           "write_dense_tensor",
]
