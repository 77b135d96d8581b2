import pytest

from kfsm_lab.aws import partition_of
from kfsm_lab.errors import ValidationError
from kfsm_lab.images import is_kmeans_image, kmeans_image


@pytest.mark.parametrize("region, image", [
    ("us-west-2", "174872318107.dkr.ecr.us-west-2.amazonaws.com/kmeans:1"),   # the workshop's table
    ("us-east-1", "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"),
    ("cn-north-1", "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/kmeans:1"),
])
def test_kmeans_image(region, image):
    assert kmeans_image(region) == image
    assert is_kmeans_image(image)


def test_unknown_region_and_other_images():
    with pytest.raises(ValidationError, match="no published SageMaker k-means image"):
        kmeans_image("il-central-1")
    assert not is_kmeans_image("174872318107.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")


@pytest.mark.parametrize("region, partition", [("us-west-2", "aws"), ("cn-northwest-1", "aws-cn"),
                                               ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso")])
def test_partition_of(region, partition):
    assert partition_of(region) == partition
