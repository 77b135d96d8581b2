"""The SageMaker built-in k-means image for each region (``<account>.dkr.ecr.<region>.<domain>/kmeans:1``).

Accounts as published in the workshop notebook and the SageMaker Python SDK's ``kmeans.json``.
"""

from __future__ import annotations

from .errors import ValidationError

KMEANS_ACCOUNTS: dict[str, str] = {
    "af-south-1": "455444449433", "ap-east-1": "286214385809", "ap-northeast-1": "351501993468",
    "ap-northeast-2": "835164637446", "ap-northeast-3": "364406365360", "ap-south-1": "991648021394",
    "ap-southeast-1": "475088953585", "ap-southeast-2": "712309505854", "ca-central-1": "469771592824",
    "cn-north-1": "390948362332", "cn-northwest-1": "387376663083", "eu-central-1": "664544806723",
    "eu-north-1": "669576153137", "eu-south-1": "257386234256", "eu-west-1": "438346466558",
    "eu-west-2": "644912444149", "eu-west-3": "749696950732", "me-south-1": "249704162688",
    "sa-east-1": "855470959533", "us-east-1": "382416733822", "us-east-2": "404615174143",
    "us-gov-west-1": "226302683700", "us-iso-east-1": "490574956308", "us-west-1": "632365934929",
    "us-west-2": "174872318107",
}


_DOMAINS = {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov"}


def _domain(region: str) -> str:
    from .aws import partition_of

    return _DOMAINS.get(partition_of(region), "amazonaws.com")


def kmeans_image(region: str) -> str:
    """The k-means training/inference image URI for ``region``."""
    account = KMEANS_ACCOUNTS.get(region)
    if account is None:
        raise ValidationError("region", region, "has no published SageMaker k-means image",
                              "pick one of: " + ", ".join(sorted(KMEANS_ACCOUNTS)))
    return f"{account}.dkr.ecr.{region}.{_domain(region)}/kmeans:1"


def is_kmeans_image(image: str) -> bool:
    """True for any region's ``…/kmeans:1`` (or ``kmeans:latest``) image."""
    repo = image.rsplit("/", 1)[-1]
    return repo in ("kmeans:1", "kmeans:latest", "kmeans")
