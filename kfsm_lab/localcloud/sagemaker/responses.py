"""SageMaker on the wire: the JSON 1.1 control plane and the runtime's ``/endpoints/<name>/invocations``.

Decodes requests, calls :class:`~.models.SageMakerBackend`, encodes responses and errors exactly
as botocore expects them. No state lives here.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import runtime
from ..gateway import Gateway
from . import errors, validation
from .jobs import JobRunner
from .models import Pace, Runner, SageMakerBackend

if TYPE_CHECKING:
    from ..faults import FaultTable

JSON_11 = "application/x-amz-json-1.1"
STATE_VERSION = 1
MAX_INVOKE_BYTES = 6 * 1024 * 1024  # the service's InvokeEndpoint payload limit

Reply = tuple[int, dict[str, str], bytes]


class SageMakerService:
    """Per-region backends plus the operation table."""

    def __init__(self, account: str, gateway: Gateway, pace: Pace, faults: FaultTable,
                 runner: Runner | None = None) -> None:
        self.account = account
        self.gateway = gateway
        self.pace = pace
        self.faults = faults
        self.runner: Runner = runner if runner is not None else JobRunner()
        self._backends: dict[str, SageMakerBackend] = {}
        self._lock = threading.Lock()
        self.operations: dict[str, Callable[[SageMakerBackend, dict[str, Any]], dict[str, Any]]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("op_")
        }

    def backend(self, region: str) -> SageMakerBackend:
        with self._lock:
            if region not in self._backends:
                self._backends[region] = SageMakerBackend(self.account, region, self.gateway, self.pace,
                                                          self.runner, self.faults)
            return self._backends[region]

    # --- persistence (the door wires these into stop/start) ----------------------------------------
    def dump_state(self) -> dict[str, Any]:
        """Every region's resources, JSON-ready."""
        with self._lock:
            backends = dict(self._backends)
        return {"version": STATE_VERSION, "account": self.account,
                "regions": {region: b.dump_state() for region, b in backends.items()}}

    def load_state(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`dump_state` saved (call after S3 is restored; models load on first use)."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"not a SageMaker state of version {STATE_VERSION}")
        for region, state in (data.get("regions") or {}).items():
            self.backend(region).load_state(state)

    # --- control plane ---------------------------------------------------------------------------
    def handle_control(self, operation: str, body: bytes, region: str) -> Reply:
        try:
            handler = self.operations.get(operation)
            if handler is None:
                raise errors.UnknownOperation(f"The local cloud does not implement SageMaker.{operation}; it serves "
                                              "training jobs, models, endpoint configs, endpoints, transform jobs, "
                                              "hyperparameter tuning jobs and tags.")
            try:
                req = json.loads(body or b"{}")
            except (ValueError, RecursionError):
                raise errors.SageMakerError("Start of structure or map found where not expected.",
                                            "SerializationException") from None
            validation.validate(operation, req)
            result = handler(self.backend(region), req)
            return 200, {"Content-Type": JSON_11}, json.dumps(result).encode()
        except errors.SageMakerError as exc:
            return exc.status, {"Content-Type": JSON_11, "x-amzn-ErrorType": exc.code}, \
                json.dumps(exc.body()).encode()
        except Exception as exc:  # noqa: BLE001 - a bug answers as the service's InternalFailure, never HTML
            return _internal(exc, JSON_11)

    # training jobs
    def op_CreateTrainingJob(self, b: SageMakerBackend, req: dict) -> dict:
        return {"TrainingJobArn": b.create_training_job(req).arn}

    def op_DescribeTrainingJob(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_training_job(req.get("TrainingJobName", ""))

    def op_ListTrainingJobs(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_training_jobs(req)

    def op_StopTrainingJob(self, b: SageMakerBackend, req: dict) -> dict:
        b.stop_training_job(req.get("TrainingJobName", ""))
        return {}

    # models
    def op_CreateModel(self, b: SageMakerBackend, req: dict) -> dict:
        return {"ModelArn": b.create_model(req).arn}

    def op_DescribeModel(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_model(req.get("ModelName", ""))

    def op_ListModels(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_models(req)

    def op_DeleteModel(self, b: SageMakerBackend, req: dict) -> dict:
        b.delete_model(req.get("ModelName", ""))
        return {}

    # endpoint configs
    def op_CreateEndpointConfig(self, b: SageMakerBackend, req: dict) -> dict:
        return {"EndpointConfigArn": b.create_endpoint_config(req).arn}

    def op_DescribeEndpointConfig(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_endpoint_config(req.get("EndpointConfigName", ""))

    def op_ListEndpointConfigs(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_endpoint_configs(req)

    def op_DeleteEndpointConfig(self, b: SageMakerBackend, req: dict) -> dict:
        b.delete_endpoint_config(req.get("EndpointConfigName", ""))
        return {}

    # endpoints
    def op_CreateEndpoint(self, b: SageMakerBackend, req: dict) -> dict:
        return {"EndpointArn": b.create_endpoint(req).arn}

    def op_DescribeEndpoint(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_endpoint(req.get("EndpointName", ""))

    def op_ListEndpoints(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_endpoints(req)

    def op_UpdateEndpoint(self, b: SageMakerBackend, req: dict) -> dict:
        return {"EndpointArn": b.update_endpoint(req).arn}

    def op_DeleteEndpoint(self, b: SageMakerBackend, req: dict) -> dict:
        b.delete_endpoint(req.get("EndpointName", ""))
        return {}

    # transform jobs
    def op_CreateTransformJob(self, b: SageMakerBackend, req: dict) -> dict:
        return {"TransformJobArn": b.create_transform_job(req).arn}

    def op_DescribeTransformJob(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_transform_job(req.get("TransformJobName", ""))

    def op_ListTransformJobs(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_transform_jobs(req)

    def op_StopTransformJob(self, b: SageMakerBackend, req: dict) -> dict:
        b.stop_transform_job(req.get("TransformJobName", ""))
        return {}

    # hyperparameter tuning jobs
    def op_CreateHyperParameterTuningJob(self, b: SageMakerBackend, req: dict) -> dict:
        return {"HyperParameterTuningJobArn": b.create_tuning_job(req).arn}

    def op_DescribeHyperParameterTuningJob(self, b: SageMakerBackend, req: dict) -> dict:
        return b.describe_tuning_job(req.get("HyperParameterTuningJobName", ""))

    def op_ListHyperParameterTuningJobs(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_tuning_jobs(req)

    def op_StopHyperParameterTuningJob(self, b: SageMakerBackend, req: dict) -> dict:
        b.stop_tuning_job(req.get("HyperParameterTuningJobName", ""))
        return {}

    def op_ListTrainingJobsForHyperParameterTuningJob(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_trials(req)

    # tags
    def op_AddTags(self, b: SageMakerBackend, req: dict) -> dict:
        return {"Tags": b.add_tags(req.get("ResourceArn", ""), req.get("Tags") or [])}

    def op_ListTags(self, b: SageMakerBackend, req: dict) -> dict:
        return b.list_tags(req)

    def op_DeleteTags(self, b: SageMakerBackend, req: dict) -> dict:
        b.delete_tags(req.get("ResourceArn", ""), req.get("TagKeys") or [])
        return {}

    # --- runtime ---------------------------------------------------------------------------------
    def handle_invocation(self, endpoint_name: str, body: bytes, headers: dict[str, str], region: str) -> Reply:
        """``POST /endpoints/<name>/invocations``: the k-means container's answer, or the service's error."""
        b = self.backend(region)
        try:
            if len(body) > MAX_INVOKE_BYTES:
                return 413, {"Content-Type": "application/json"}, json.dumps({
                    "message": f"Request payload of {len(body)} bytes exceeds the InvokeEndpoint limit of 6 MB "
                               f"({MAX_INVOKE_BYTES} bytes); send fewer records per request or use a batch "
                               "transform job"}).encode()
            try:
                ep, variants = b.serving_variants(endpoint_name)
            except errors.ValidationException:
                raise errors.endpoint_not_found(endpoint_name, self.account) from None
            except ValueError as exc:  # a model that cannot be re-read after a restart
                raise errors.RuntimeError_(f"Endpoint {endpoint_name} cannot load its model: {exc}",
                                           "ValidationError", 400) from None
            if ep.status not in ("InService", "Updating") or not variants:
                raise errors.RuntimeError_(f"Endpoint {endpoint_name} of account {self.account} is not in service "
                                           f"(its status is {ep.status}); wait for InService "
                                           "(waiter endpoint_in_service) before invoking it.", "ValidationError", 400)
            target = headers.get("x-amzn-sagemaker-target-variant")
            if target:
                chosen = [v for v in variants if v.name == target]
                if not chosen:
                    raise errors.RuntimeError_(f"Variant {target} not found for endpoint {endpoint_name}",
                                               "ValidationError", 400)
                variant = chosen[0]
            elif len(variants) == 1:
                variant = variants[0]
            else:
                variant = random.choices(variants, weights=[v.weight for v in variants])[0]
            try:
                accept = runtime.choose_accept(headers.get("accept"))
                X = runtime.parse_request(body, headers.get("content-type"), variant.centroids.shape[1])
                idx, dist = runtime.predict(X, variant.centroids)
            except runtime.InferenceError as exc:
                raise errors.model_error(exc.status, str(exc), endpoint_name, self.account, region) from None
            return 200, {"Content-Type": accept, "x-Amzn-Invoked-Production-Variant": variant.name}, \
                runtime.render(idx, dist, accept)
        except errors.SageMakerError as exc:
            payload = {"message": exc.message, **exc.extra}
            if exc.code == "ModelError":
                payload = {"ErrorCode": "CLIENT_ERROR_FROM_MODEL", "Message": exc.message, **exc.extra}
            return exc.status, {"Content-Type": "application/json", "x-amzn-ErrorType": exc.code}, \
                json.dumps(payload).encode()
        except Exception as exc:  # noqa: BLE001 - a bug answers as the service's InternalFailure, never HTML
            return _internal(exc, "application/json")


def _internal(exc: Exception, content_type: str) -> Reply:
    """``500 InternalFailure`` as JSON; the traceback goes to the cloud's log, not to the client."""
    import traceback

    traceback.print_exc()
    body = {"__type": "InternalFailure", "message": f"The local cloud failed to serve the request "
                                                    f"({type(exc).__name__}); see its log for the traceback."}
    return 500, {"Content-Type": content_type, "x-amzn-ErrorType": "InternalFailure"}, json.dumps(body).encode()
