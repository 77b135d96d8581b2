"""Small pipelines for the local Kubeflow Pipelines tests (no `from __future__ import annotations`: kfp reads them)."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    print(f"adding {a} and {b}")
    return a + b


@dsl.component(base_image="python:3.11")
def show(x: int) -> str:
    print(f"x is {x}")
    return f"x={x}"


@dsl.component(base_image="python:3.11")
def nap(seconds: float) -> float:
    import time

    print("napping", flush=True)
    time.sleep(seconds)
    return seconds


@dsl.component(base_image="python:3.11")
def boom(message: str):
    raise ValueError(message)


@dsl.pipeline(name="adder")
def adder(a: int = 1, b: int = 2):
    total = add(a=a, b=b)
    show(x=total.output)
    show(x=a).set_display_name("show-a")


@dsl.pipeline(name="two-naps")
def two_naps(seconds: float = 1.0):
    nap(seconds=seconds)
    nap(seconds=seconds)


@dsl.pipeline(name="long-nap")
def long_nap(seconds: float = 60.0):
    nap(seconds=seconds)


@dsl.pipeline(name="fails")
def fails(message: str = "the data was wrong"):
    first = add(a=1, b=1)
    boom(message=message).after(first)


@dsl.pipeline(name="needs-b")
def needs_b(b: int):
    add(a=1, b=b)


@dsl.pipeline(name="branches")
def branches(a: int = 3):
    total = add(a=a, b=1)
    with dsl.If(total.output > 2):
        show(x=total.output)


@dsl.container_component
def in_a_container():
    return dsl.ContainerSpec(image="alpine:3", command=["echo", "hi"])


@dsl.pipeline(name="container")
def container():
    in_a_container()
