"""The OAI Arazzo examples (`../shared/corpus/_oai/examples/1.0.0/`) compiled and run.

Each example is read from the corpus in place: the test assembles a temporary specs folder holding the
example and the API descriptions its `sourceDescriptions` name (an absolute url is mapped to its local copy
through the corpus folder's `_url_map.tsv`, as `../shared/corpus/README.md` says). Where an example is itself
wrong (a misspelt operationId, a parameter name the API does not have), the test first asserts the exact
located diagnostics of the document as published, then applies the smallest visible correction (each patch
must match exactly once) and runs the corrected workflow, sync and async, against a scripted server on
127.0.0.1, asserting the outputs and the exact requests.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from .scripted import Reply, ScriptedServer, build_package, compile_files, import_package, scripted

ROOT = Path(__file__).resolve().parents[1]
OAI = ROOT.parent / "shared" / "corpus" / "_oai"
EXAMPLES = OAI / "examples" / "1.0.0"

pytestmark = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason=f"{EXAMPLES} not found: ../shared (the corpus beside the repository) is absent"
)


def _url_map() -> list[tuple[str, str]]:
    rows = []
    for line in (OAI / "_url_map.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            prefix, _, local = line.partition("\t")
            rows.append((prefix, local))
    return rows


def _local(url: str) -> Path | None:
    """The corpus file a source url names: relative to the example, else through ``_url_map.tsv`` (a prefix
    and the path, relative to the corpus folder, that replaces it)."""
    relative = EXAMPLES / url
    if "://" not in url and relative.is_file():
        return relative
    for prefix, local in _url_map():
        if url.startswith(prefix) and (OAI / (local + url[len(prefix) :])).is_file():
            return OAI / (local + url[len(prefix) :])
    return None


def example(name: str, patches: list[tuple[str, str]] = (), extra: dict[str, str] | None = None) -> dict[str, str]:  # type: ignore[assignment]
    """The files of a specs folder for example ``name``: the example (its source urls rewritten to the local
    copies, ``patches`` applied) and every API description it names, beside it."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    files: dict[str, str] = {}
    for source in yaml.safe_load(text).get("sourceDescriptions") or []:
        local = _local(source["url"])
        if local is None:
            continue  # does not resolve: the build reports it
        files[local.name] = local.read_text(encoding="utf-8")
        if source["url"] != f"./{local.name}":
            assert text.count(source["url"]) == 1
            text = text.replace(source["url"], f"./{local.name}")
    for old, new in patches:
        assert text.count(old) == 1, f"patch {old!r} must match exactly once in {name}"
        text = text.replace(old, new)
    files[name] = text
    files.update(extra or {})
    return files


def diagnostics(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """The sorted diagnostic headlines of a build of ``files``, paths relative to the specs folder."""
    _, headlines = compile_files(tmp_path, files, "oai_check")
    return [line.replace(f"{tmp_path / 'specs'}/", "") for line in headlines]


def run_both(
    module: ModuleType,
    client_module: ModuleType,
    client_param: str,
    function: str,
    script: Any,
    **kwargs: Any,
) -> list[tuple[Any, ScriptedServer]]:
    """[(outputs or the exception, server)] for the sync and the async workflow function."""
    results = []
    async def go(url: str) -> Any:
        async with client_module.AsyncClient(url) as client:
            return await getattr(module, function + "_async")(**{client_param: client}, **kwargs)

    for is_async in (False, True):
        with scripted(script) as server:
            try:
                if is_async:
                    result: Any = asyncio.run(go(server.url))
                else:
                    with client_module.Client(server.url) as client:
                        result = getattr(module, function)(**{client_param: client}, **kwargs)
            except Exception as error:  # noqa: BLE001 - the tests assert on it
                result = error
        results.append((result, server))
    return results


def query(server: ScriptedServer) -> list[list[tuple[str, str]]]:
    return [r.query for r in server.requests]


# -- oauth.arazzo.yaml ------------------------------------------------------------------------------------
def test_oauth_example_runs_its_three_workflows(tmp_path: Path) -> None:
    files = example("oauth.arazzo.yaml")
    out, warnings = build_package(tmp_path, files, "oai_oauth")
    # the token endpoint's form schema requires client_id, which the example's refresh step does not send
    assert [w.replace(f"{tmp_path / 'specs'}/", "") for w in warnings] == [
        ("oauth.arazzo.yaml:60:13: warning[payload-missing-property]: step 'do-the-refresh': the payload lacks "
        "'client_id', required by the request body of get-token")
    ]
    package = import_package(out, "oai_oauth")
    flows, api = package.workflows.oauth, package.apis.oauth
    token = {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600}
    script = {
        ("GET", "/authorize"): [Reply(200, {"access_token": "ignored", "code": "c0de"})],
        ("POST", "/oauth/token"): [Reply(200, token), Reply(200, {**token, "access_token": "at-2"})],
    }
    for result, server in run_both(
        flows, api, "apim_auth_api", "refresh_token_flow", script,
        my_client_id="cid", my_client_secret="s3cret", my_redirect_uri="https://app.example/cb",
    ):  # fmt: skip
        assert (result.access_token, result.refresh_token, result.expires_in) == ("at-2", "rt-1", 3600)
        assert [r.line for r in server.requests] == ["GET /authorize", "POST /oauth/token", "POST /oauth/token"]
        assert server.requests[0].query == [
            ("client_id", "cid"), ("redirect_uri", "https://app.example/cb"), ("response_type", "code"),
            ("scope", "read"), ("state", "12345"),
        ]  # fmt: skip
        assert server.requests[1].headers["content-type"] == "application/x-www-form-urlencoded"
        assert server.requests[1].body.decode() == (
            "grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"
            "&client_id=cid&client_secret=s3cret"
        )
        assert server.requests[2].body.decode() == "grant_type=refresh_token&refresh_token=rt-1"

    for result, server in run_both(
        flows, api, "apim_auth_api", "client_credentials_flow", {("POST", "/oauth/token"): [Reply(200, token)]},
        client_id="cid", client_secret="s3cret",
    ):  # fmt: skip
        assert result.access_token == "at-1"
        assert [(r.line, r.body.decode()) for r in server.requests] == [
            ("POST /oauth/token", "client_id=cid&client_secret=s3cret&grant_type=client_credentials")
        ]

    # the jsonpath criterion '$[?@.access_token != null]' over an empty body selects nothing: the step fails
    for result, server in run_both(
        flows, api, "apim_auth_api", "client_credentials_flow", {("POST", "/oauth/token"): [Reply(200, {})]},
        client_id="cid", client_secret="s3cret",
    ):  # fmt: skip
        assert isinstance(result, package._runtime.StepFailed)
        assert (result.step, result.criterion) == ("get-client-creds-token", "$[?@.access_token != null]")
        assert len(server.requests) == 1


# -- FAPI-PAR.arazzo.yaml ---------------------------------------------------------------------------------
def test_fapi_par_example_misspells_an_operation_id_and_runs(tmp_path: Path) -> None:
    # operationIds are case-sensitive: 'PAR' is not 'Par'; 'Par' is its only match ignoring case, so it is used
    # with a located warning (--strict refuses it). The required 'Content-Type' header parameters of Par and
    # Token are ignored, as OpenAPI 3 says (no missing-parameter).
    out, warnings = build_package(tmp_path, example("FAPI-PAR.arazzo.yaml"), "oai_fapi")
    assert [w.replace(f"{tmp_path / 'specs'}/", "") for w in warnings] == [
        ("FAPI-PAR.arazzo.yaml:102:22: warning[operation-id-case]: operationId 'PAR' is not in auth-api "
        "(FAPI-PAR.openapi.yaml) with that case; its only match ignoring case, 'Par', is used: write 'Par'")
    ]
    package = import_package(out, "oai_fapi")
    assertion = {"iss": "tpp", "jti": "j-1"}
    par_body = {"response_type": "code", "client_id": "tpp-1", "scope": "openid"}
    tokens = {"access_token": "at", "id_token": "it", "token_type": "Bearer", "expires_in": 300}
    script = {
        ("POST", "/as/par.oauth2"): [Reply(200, {"request_uri": "urn:par:1", "expires_in": 60})],
        ("GET", "/as/authorize.oauth2"): [Reply(302, {"code": "authz-1"}, headers={"Location": "https://tpp/cb"})],
        ("POST", "/as/token.oauth2"): [Reply(200, tokens)],
    }
    for result, server in run_both(
        package.workflows.fapi_par, package.apis.fapi_par, "auth_api", "oidc_par_authz_code", script,
        client_id="tpp-1", client_assertion=assertion, redirect_uri="https://tpp/cb", code_verifier="v-1",
        pa_rrequest_body=par_body, token_request_body={},
    ):  # fmt: skip
        assert not isinstance(result, Exception), result
        assert result.access_token.model_dump(exclude_none=True) == tokens
        assert [r.line for r in server.requests] == [
            "POST /as/par.oauth2", "GET /as/authorize.oauth2", "POST /as/token.oauth2"
        ]
        par, authorize, token = server.requests
        assert par.query == [
            ("client_id", "tpp-1"),
            ("client_assertion_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("client_assertion", '{"iss":"tpp","jti":"j-1"}'),
        ]
        assert (par.headers["content-type"], par.json()) == ("application/json", par_body)
        assert authorize.query == [("request_uri", "urn:par:1"), ("client_id", "tpp-1")]
        assert token.json() == {
            "grant_type": "authorization_code", "code": "authz-1", "redirect_uri": "https://tpp/cb",
            "code_verifier": "v-1",
        }  # fmt: skip


# -- LoginAndRetrievePets.arazzo.yaml ---------------------------------------------------------------------
def test_login_and_retrieve_pets_example_with_an_operation_path_to_a_path_item(tmp_path: Path) -> None:
    # its source is the swagger-petstore on GitHub (mapped to the corpus copy); its operationPath points to
    # the path item '/pet/findByStatus', which has one operation: that one is used, with a located warning
    files = example("LoginAndRetrievePets.arazzo.yaml")
    out, warnings = build_package(tmp_path, files, "oai_login")
    assert [w.replace(f"{tmp_path / 'specs'}/", "") for w in warnings] == [
        (
            "LoginAndRetrievePets.arazzo.yaml:46:20: warning[operation-path-to-path-item]: operationPath "
            "'{$sourceDescriptions.petStoreDescription.url}#/paths/~1pet~1findByStatus' points to a path item, "
            "not an operation; its only operation (get, findPetsByStatus) is used: write "
            "'{$sourceDescriptions.petStoreDescription.url}#/paths/~1pet~1findByStatus/get'"
        )
    ]
    package = import_package(out, "oai_login")
    pets = [{"id": 7, "name": "Rex", "photoUrls": [], "status": "available"}]
    script = {
        ("GET", "/user/login"): [Reply(200, "session-42", headers={"X-Rate-Limit": "10"})],
        ("GET", "/pet/findByStatus"): [Reply(200, pets)],
    }
    for result, server in run_both(
        package.workflows.login_and_retrieve_pets, package.apis.openapi, "pet_store_description_api",
        "login_user_retrieve_pet", script, username="ann", password="pw",
    ):  # fmt: skip
        assert not isinstance(result, Exception), result
        assert result.available == pets
        assert [(r.line, r.query) for r in server.requests] == [
            ("GET /user/login", [("username", "ann"), ("password", "pw")]),
            ("GET /pet/findByStatus", [("status", "available")]),
        ]
        assert server.requests[1].headers["authorization"] == "session-42"


# -- pet-coupons.arazzo.yaml ------------------------------------------------------------------------------
COUPON_FIXES = [
    # getPetCoupons' path parameter is 'petId'
    ("name: pet_id\n            in: path", "name: petId\n            in: path"),
    # '$statusCode' in a step that runs a workflow: there is no HTTP response (the workflow's outputs are there)
    (
        "coupon_code\n        successCriteria:\n          - condition: $statusCode == 200",
        "coupon_code\n        successCriteria:\n          - condition: $outputs.workflow_order_id != null",
    ),
    (
        "my_pet_id\n        successCriteria:\n          - condition: $statusCode == 200\n        outputs:\n          my_order",
        (
            "my_pet_id\n        successCriteria:\n          - condition: $outputs.workflow_order_id != null\n"
            "        outputs:\n          my_order"
        ),
    ),
]


def test_pet_coupons_example_errors_then_runs_sub_workflows_and_component_parameters(tmp_path: Path) -> None:
    assert diagnostics(tmp_path / "as-published", example("pet-coupons.arazzo.yaml")) == [
        (
            "pet-coupons.arazzo.yaml:26:19: warning[undeclared-parameter]: query parameter 'pet_tags' is not a "
            "parameter of findPetsByTags; it is sent as an extra query parameter"
        ),
        (
            "pet-coupons.arazzo.yaml:36:17: error[missing-parameter]: step 'find-coupons' does not set the required "
            "path parameter 'petId' of getPetCoupons"
        ),
        (
            "pet-coupons.arazzo.yaml:40:19: error[unknown-parameter]: getPetCoupons has no path parameter 'pet_id'; "
            "did you mean 'petId'?"
        ),
        (
            "pet-coupons.arazzo.yaml:56:24: error[response-in-workflow-step]: '$statusCode' refers to an HTTP request "
            "or response, but step 'place-order' runs a workflow; use $outputs.<name> of that workflow"
        ),
        (
            "pet-coupons.arazzo.yaml:91:24: error[response-in-workflow-step]: '$statusCode' refers to an HTTP request "
            "or response, but step 'place-order' runs a workflow; use $outputs.<name> of that workflow"
        ),
    ]
    out, _ = build_package(tmp_path, example("pet-coupons.arazzo.yaml", COUPON_FIXES), "oai_coupons")
    package = import_package(out, "oai_coupons")
    flows, api = package.workflows.pet_coupons, package.apis.pet_coupons
    order = {"petId": 7, "quantity": None, "couponCode": "SPRING", "status": "placed", "complete": False}
    script = {
        ("GET", "/pet/findByTags"): [Reply(200, [{"id": 7, "name": "Rex", "photoUrls": []}])],
        ("GET", "/pet/findByStatus"): [Reply(200, [{"id": 8, "name": "Tom", "photoUrls": []}])],
        ("GET", "/pet/7/coupons"): [Reply(200, {"couponCode": "SPRING"})],
        ("POST", "/store/order"): [Reply(200, {"id": 1001, "petId": 7})],
    }
    # the step 'place-order' runs the workflow 'place-order' (the step's local must not shadow the function)
    for result, server in run_both(
        flows, api, "pet_coupons_api", "apply_coupon", script, my_pet_tags=["puppy", "dalmatian"]
    ):
        assert not isinstance(result, Exception), result
        assert result.apply_coupon_pet_order_id == 1001
        assert [(r.line, r.query) for r in server.requests] == [
            ("GET /pet/findByTags", [("pet_tags", "puppy"), ("pet_tags", "dalmatian")]),
            ("GET /pet/7/coupons", []),
            ("POST /store/order", []),
        ]
        assert server.requests[2].json() == order
    # components.parameters page/pageSize by reference: the step's `value` overrides the component's 100
    for result, server in run_both(flows, api, "pet_coupons_api", "buy_available_pet", script):
        assert not isinstance(result, Exception), result
        assert result.buy_pet_order_id == 1001
        assert [(r.line, r.query) for r in server.requests] == [
            ("GET /pet/findByStatus", [("page", "1"), ("status", "available"), ("pageSize", "10")]),
            ("POST /store/order", []),
        ]
        assert server.requests[1].json() == {**order, "petId": 8, "couponCode": None}
    # an order without an id: the called workflow's step fails reading it (its error propagates, naming it)
    failing = {**script, ("POST", "/store/order"): [Reply(200, {"petId": 7})]}
    for result, _ in run_both(flows, api, "pet_coupons_api", "buy_available_pet", failing):
        assert isinstance(result, package._runtime.StepOutputError)
        assert (result.workflow, result.step, result.pointer) == ("place-order", "place-order", "/id")


# -- bnpl-arazzo.yaml -------------------------------------------------------------------------------------
BNPL_FIXES = [
    # getAuthorization's query parameter is 'AuthorizationToken'; the token comes from the previous step (the
    # example reads the step's own output to build its own request)
    (
        ("name: redirectAuthToken\n        in: query\n"
        "        value: $steps.authenticateCustomerAndAuthorizeLoan.outputs.redirectAuthToken"),
        "name: AuthorizationToken\n        in: query\n        value: $steps.initiateBnplTransaction.outputs.redirectAuthToken",
    ),
    # the (closed) response schema has no 'products', only 'productCodes' (codes, not the product objects the
    # later request sends on): the products sent on are the workflow's input products
    ("      eligibleProducts: $response.body#/products", "      eligibleProducts: $inputs.products"),
    # later steps read an output 'loanTransactionId' the step does not declare
    (
        "      loanTransactionResourceUrl: $response.body#/links/self",
        ("      loanTransactionResourceUrl: $response.body#/links/self\n"
        "      loanTransactionId: $response.body#/loanTransactionId"),
    ),
]
AMOUNT = {"currency": "EUR", "amount": 120.5}
PRODUCTS = [{"productCode": "P1", "purchaseAmount": AMOUNT}]
PLAN = {
    "customer": "https://bnpl.example/customers/C1",
    "products": [{"productCode": "P1", "netAmount": AMOUNT}],
    "totalAmount": AMOUNT,
    "paymentSchedule": [{"paymentDate": "2026-01-01", "amount": AMOUNT, "lastPayment": True}],
}


def _bnpl_script(eligibility_check: bool, redirect: str | None) -> dict[tuple[str, str], list[Reply]]:
    created = {"loanTransactionId": "L1", "links": {"self": "https://bnpl.example/loan-transactions/L1"}}
    return {
        ("POST", "/products"): [
            Reply(200, {"eligibilityCheckRequired": eligibility_check, "products": PRODUCTS, "totalAmount": AMOUNT})
        ],
        ("GET", "/terms-and-conditions"): [Reply(200, {"termsAndConditions": "..."})],
        ("POST", "/customers"): [Reply(201, {"links": {"self": "https://bnpl.example/customers/C1"}})],
        # the output reads redirectAuthToken: an absent member is a StepOutputError, so null is sent
        ("POST", "/loan-transactions"): [Reply(202, {**created, "redirectAuthToken": redirect})],
        ("GET", "/auth"): [Reply(302, headers={"Location": "https://bnpl.example/consent"})],
        ("GET", "/loan-transactions/L1"): [Reply(200, PLAN)],
        ("PATCH", "/loan-transactions/L1/status"): [Reply(204)],
    }


def test_bnpl_example_errors_then_runs_every_branch(tmp_path: Path) -> None:
    assert diagnostics(tmp_path / "as-published", example("bnpl-arazzo.yaml")) == [
        (
            "bnpl-arazzo.yaml:133:41: error[unknown-response-field]: '$response.body#/products': the body of "
            "findEligibleProducts has no member 'products' and allows no other (documented: "
            "eligibilityCheckRequired, existingCustomerNotEligible, productCodes, totalAmount); did you mean "
            "'productCodes'?"
        ),
        (
            "bnpl-arazzo.yaml:195:16: warning[payload-missing-property]: step 'initiateBnplTransaction': the payload "
            "lacks 'totalAmount', required by the request body of createBnplTransaction"
        ),
        (
            "bnpl-arazzo.yaml:198:28: warning[possibly-unset-step-output]: '$steps.createCustomer.outputs.customer' "
            "is used by step 'initiateBnplTransaction', which a goto, end or retry path reaches without step "
            "'createCustomer' having succeeded; it is null (None) there"
        ),
        (
            "bnpl-arazzo.yaml:217:13: error[missing-parameter]: step 'authenticateCustomerAndAuthorizeLoan' does not "
            "set the required query parameter 'AuthorizationToken' of getAuthorization"
        ),
        (
            "bnpl-arazzo.yaml:229:15: warning[undeclared-parameter]: query parameter 'redirectAuthToken' is not a "
            "parameter of getAuthorization; it is sent as an extra query parameter"
        ),
        (
            "bnpl-arazzo.yaml:231:16: error[unset-step-output]: step 'authenticateCustomerAndAuthorizeLoan' reads "
            "its own output 'redirectAuthToken', which is set only once the step has succeeded; take the value from "
            "the response ($response...) in its outputs, or from an earlier step"
        ),
        (
            "bnpl-arazzo.yaml:242:55: error[unknown-step-output]: step 'initiateBnplTransaction' has no output "
            "'loanTransactionId'; did you mean 'loanTransactionResourceUrl'?"
        ),
        (
            "bnpl-arazzo.yaml:253:55: error[unknown-step-output]: step 'initiateBnplTransaction' has no output "
            "'loanTransactionId'; did you mean 'loanTransactionResourceUrl'?"
        ),
        (
            "bnpl-arazzo.yaml:256:16: warning[payload-missing-property]: step 'updateOrderStatus': the payload lacks "
            "'status', required by the request body of updateBnplLoanTransactionStatus"
        ),
        (
            "bnpl-arazzo.yaml:260:27: warning[nonstandard-expression]: "
            "'$steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan' is not a standard runtime expression; write "
            "'$steps.retrieveFinalizedPaymentPlan.outputs.finalizedPaymentPlan'; it is compiled with that meaning"
        ),
    ]

    # As published (with the fixes above), the jsonpath criteria follow RFC 9535: '$[?count(@.products) > 0]'
    # filters the *members* of the body, none of which has a 'products' member, so 'qualifyingProductsNotFound'
    # ('== 0') holds and the workflow ends after the first step.
    out, _ = build_package(tmp_path / "rfc9535", example("bnpl-arazzo.yaml", BNPL_FIXES), "oai_bnpl_as_published")
    package = import_package(out, "oai_bnpl_as_published")
    enrolled = {"uri": "https://bnpl.example/customers/C0"}
    for result, server in run_both(
        package.workflows.bnpl, package.apis.bnpl, "bnpl_api", "apply_for_loan_at_checkout",
        _bnpl_script(False, None), customer=enrolled, products=PRODUCTS,
    ):  # fmt: skip
        assert not isinstance(result, Exception), result
        assert result.finalized_payment_plan is None
        assert [r.line for r in server.requests] == ["POST /products"]
        assert server.requests[0].json() == {"customer": enrolled, "products": PRODUCTS}  # the values, typed

    # Testing the products array itself ('$.products[0]') takes the goto.
    fixes = [*BNPL_FIXES, ("condition: $[?count(@.products) > 0]", "condition: $.products[0]")]
    out, _ = build_package(tmp_path, example("bnpl-arazzo.yaml", fixes), "oai_bnpl")
    package = import_package(out, "oai_bnpl")
    flows, api = package.workflows.bnpl, package.apis.bnpl
    # an enrolled customer without eligibility check: createCustomer is skipped, so newCustomer is null
    for result, server in run_both(
        flows, api, "bnpl_api", "apply_for_loan_at_checkout", _bnpl_script(False, None), customer=enrolled,
        products=PRODUCTS,
    ):  # fmt: skip
        assert not isinstance(result, Exception), result
        assert result.finalized_payment_plan.model_dump(mode="json", by_alias=True, exclude_none=True) == {
            **PLAN, "products": [{"productCode": "P1"}]  # netAmount is not in the schema (allOf + required only)
        }
        assert [r.line for r in server.requests] == [
            "POST /products", "GET /terms-and-conditions", "POST /loan-transactions", "GET /loan-transactions/L1",
            "PATCH /loan-transactions/L1/status",
        ]  # fmt: skip
        assert server.requests[2].json() == {
            "enrolledCustomer": enrolled["uri"], "newCustomer": None, "products": PRODUCTS,
        }  # fmt: skip
        assert server.requests[4].json() == {"loanStatus": "Completed"}
    # a new customer with an eligibility check and a customer authorization
    new = {"firstName": "Ann", "lastName": "Lee", "dateOfBirth": "1990-01-01T00:00:00Z", "postalCode": "1000"}
    for result, server in run_both(
        flows, api, "bnpl_api", "apply_for_loan_at_checkout", _bnpl_script(True, "tok-1"), customer=new,
        products=PRODUCTS,
    ):  # fmt: skip
        assert not isinstance(result, Exception), result
        assert [r.line for r in server.requests] == [
            "POST /products", "GET /terms-and-conditions", "POST /customers", "POST /loan-transactions",
            "GET /auth", "GET /loan-transactions/L1", "PATCH /loan-transactions/L1/status",
        ]  # fmt: skip
        assert server.requests[2].json() == {**new, "termsAndConditionsAccepted": True}
        assert server.requests[3].json() == {
            "enrolledCustomer": None, "newCustomer": "https://bnpl.example/customers/C1", "products": PRODUCTS,
        }  # fmt: skip
        assert server.requests[4].query == [("AuthorizationToken", "tok-1")]


# -- ExtendedParametersExample.arazzo.yaml ----------------------------------------------------------------
ANIMALS = """
openapi: 3.0.3
info: {title: Zoo, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /animals:
    post:
      operationId: postAnimal
      parameters:
        - {name: workflowLevelParamOne, in: cookie, schema: {type: string}}
        - {name: workflowLevelParamTwo, in: header, schema: {type: string}}
        - {name: authentication, in: cookie, schema: {type: string}}
      responses: {"201": {description: created}}
  /animals/random:
    get:
      operationId: getRandomAnimal
      parameters:
        - {name: workflowLevelParamOne, in: cookie, schema: {type: string}}
        - {name: workflowLevelParamTwo, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
"""


def test_extended_parameters_example_names_a_missing_file_and_runs_with_a_stand_in(tmp_path: Path) -> None:
    # the example set has no animals.yaml: a located error at the url
    assert diagnostics(tmp_path / "as-published", example("ExtendedParametersExample.arazzo.yaml")) == [
        (
            "ExtendedParametersExample.arazzo.yaml:8:10: error[unresolved-source]: source url './animals.yaml' does "
            "not resolve: no file at specs/animals.yaml"
        )
    ]
    # with a stand-in API (the two operations and the parameters the example sends): workflow-level cookie and
    # header parameters apply to every step, a step's cookie is added to them
    files = example("ExtendedParametersExample.arazzo.yaml", extra={"animals.yaml": ANIMALS})
    out, warnings = build_package(tmp_path, files, "oai_zoo")
    assert warnings == []
    package = import_package(out, "oai_zoo")
    script = {("POST", "/animals"): [Reply(201)], ("GET", "/animals/random"): [Reply(200)]}
    for result, server in run_both(
        package.workflows.extended_parameters_example, package.apis.animals, "animals_api", "animal_workflow", script
    ):
        assert not isinstance(result, Exception), result
        assert [r.line for r in server.requests] == ["POST /animals", "GET /animals/random"]
        post, get = server.requests
        assert (post.headers["workflowlevelparamtwo"], post.headers["cookie"]) == (
            "someValue", "workflowLevelParamOne=someValue; authentication=SUPER_SECRET",
        )
        assert (get.headers["workflowlevelparamtwo"], get.headers["cookie"]) == (
            "someValue", "workflowLevelParamOne=someValue",
        )
