"""A real S3-compatible server for the sync tests: moto (``moto[server]``,
pinned in requirements-dev.txt) in server mode on 127.0.0.1, in its own
process, with a bucket, a CORS rule for the app's origin, and an IAM user
whose key pair may only read and write the circle's folder.

    server = S3Server(tmp_path, app_origin="http://127.0.0.1:8000").start()
    server.endpoint          # http://127.0.0.1:<port>/care-circles/circle/  (path-style)
    server.access_key, server.secret_key, server.region
    server.temporary         # (access key, secret, session token) of an assumed role: the same policy
    server.objects()         # {key: bytes} of every object in the bucket
    server.put_object(key, body)   # as the bucket's owner (bypasses the circle key's policy)
    server.stop()

How moto is set up (each verified in tests/sync/test_s3.py or by hand):
- Requests are authenticated: after the setup below, every request must carry
  a valid AWS Signature V4 of a key the server's IAM knows; moto recomputes
  the signature with botocore's signer (an implementation independent of
  carelog's ``sync/s3.py``) and answers 403 ``SignatureDoesNotMatch`` when it
  differs, and checks the IAM user's policy (actions and resources; moto
  ignores policy *conditions*, so the ``s3:prefix`` condition of docs/SYNC.md
  is left out here).
- CORS comes from the bucket's CORS configuration only: moto's blanket
  ``Access-Control-Allow-Origin: *`` (flask-cors) is turned off with
  ``MOTO_DISABLE_GLOBAL_CORS``.
- One deviation of moto is corrected: moto asks a CORS preflight (``OPTIONS``)
  for a signature (and, on an existing object, for a public ACL), which no
  browser can send; AWS S3 answers preflights from the CORS rule alone. The
  server process answers ``OPTIONS`` with moto's own CORS code before those
  checks (the bucket's CORS rule still decides; a foreign origin gets 403).
  And moto sends no CORS headers with bucket listings, error answers (403,
  404, 412) and 304s, which AWS S3 does send when the rule matches; without
  them the browser could not read a listing, a 404 ("no circle yet") or a
  412. The server adds moto's own CORS headers for the request (the same
  rule match) to those answers.
- Temporary keys: a role with the circle key's policy, assumed through STS
  (``AssumeRole``); moto then checks the ``X-Amz-Security-Token`` header
  against the session token (``InvalidToken`` when it differs) and applies
  the role's policy.
- Conditional writes are moto's own: ``If-None-Match: *`` on an existing key
  and a wrong ``If-Match`` give 412; ``If-Match`` on a missing key 404.

Run as a script (``python s3_server.py PORT APP_ORIGIN``) it prints one JSON
line with the keys and serves until its standard input closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

BUCKET = "care-circles"
PREFIX = "circle/"
REGION = "us-east-1"
ADMIN_KEY = ("AKIAADMINSETUPONLY00", "admin-secret-for-setup-only")  # used while auth is off


def _policy() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::{BUCKET}/{PREFIX}*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}]})


def serve(port: int, app_origin: str) -> None:
    """Start moto, set it up with authentication off, then turn it on."""
    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    import boto3
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.s3.responses import S3Response
    from moto.server import ThreadedMotoServer

    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate(self, iam_request_cls, resource="*"):
        if getattr(self, "method", "") == "OPTIONS":
            return None  # a CORS preflight: as AWS S3, no signature asked
        return original(self, iam_request_cls, resource)

    key_response = S3Response._key_response

    def preflight_first(self, request, full_url):
        if request.method == "OPTIONS":  # before moto's object ACL check, which refuses unsigned requests
            return self._response_options(request.headers, self.parse_bucket_name_from_url(request, full_url))
        return key_response(self, request, full_url)

    def with_cors(answer):
        def wrapped(self, request, full_url, *args, **kwargs):
            status, headers, body = answer(self, request, full_url, *args, **kwargs)
            if "Access-Control-Allow-Origin" not in headers:  # listings, errors and 304s too, as AWS S3
                headers = {**headers, **self._get_cors_headers_other()}
            return status, headers, body
        return wrapped

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate
    S3Response._key_response = preflight_first
    S3Response.key_response = with_cors(S3Response.key_response)
    S3Response.bucket_response = with_cors(S3Response.bucket_response)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    kw = {"endpoint_url": url, "region_name": REGION, "aws_access_key_id": ADMIN_KEY[0],
          "aws_secret_access_key": ADMIN_KEY[1]}
    s3 = boto3.client("s3", **kw)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [app_origin], "AllowedMethods": ["GET", "PUT", "HEAD"],
        "AllowedHeaders": ["authorization", "content-type", "if-match", "if-none-match", "x-amz-date",
                           "x-amz-content-sha256", "x-amz-security-token"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})
    iam = boto3.client("iam", **kw)
    iam.create_user(UserName="circle")
    iam.put_user_policy(UserName="circle", PolicyName="circle-folder", PolicyDocument=_policy())
    circle_key = iam.create_access_key(UserName="circle")["AccessKey"]
    iam.create_user(UserName="owner")
    iam.put_user_policy(UserName="owner", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    owner_key = iam.create_access_key(UserName="owner")["AccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "*"}}]}
    role = iam.create_role(RoleName="circle-tablet", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="circle-tablet", PolicyName="circle-folder", PolicyDocument=_policy())
    temporary = boto3.client("sts", **kw).assume_role(RoleArn=role["Arn"], RoleSessionName="tablet",
                                                      DurationSeconds=3600)["Credentials"]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from here on every request is authenticated
    print(json.dumps({"access_key": circle_key["AccessKeyId"], "secret_key": circle_key["SecretAccessKey"],
                      "owner_key": owner_key["AccessKeyId"], "owner_secret": owner_key["SecretAccessKey"],
                      "temporary": [temporary["AccessKeyId"], temporary["SecretAccessKey"],
                                    temporary["SessionToken"]]}),
          flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.stop()


class S3Server:
    def __init__(self, folder: Path, app_origin: str):
        from .nginx_server import free_port

        self.folder = Path(folder)
        self.app_origin = app_origin
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.access_key = self.secret_key = ""
        self.region = REGION
        self._owner: tuple[str, str] = ("", "")
        self.temporary: tuple[str, str, str] = ("", "", "")

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.origin}/{BUCKET}/{PREFIX}"

    def start(self) -> "S3Server":
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "moto.log", "wb")
        self.proc = subprocess.Popen([sys.executable, __file__, str(self.port), self.app_origin],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("moto did not start: " + (self.folder / "moto.log").read_text("utf-8", "replace"))
        keys = json.loads(line)
        self.access_key, self.secret_key = keys["access_key"], keys["secret_key"]
        self._owner = (keys["owner_key"], keys["owner_secret"])
        self.temporary = tuple(keys["temporary"])
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def client(self, owner: bool = True):
        import boto3

        key, secret = self._owner if owner else (self.access_key, self.secret_key)
        return boto3.client("s3", endpoint_url=self.origin, region_name=REGION, aws_access_key_id=key,
                            aws_secret_access_key=secret)

    def objects(self) -> dict[str, bytes]:
        s3 = self.client()
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                out[item["Key"]] = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        return out

    def put_object(self, key: str, body: bytes) -> None:
        self.client().put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="application/json")

    def raw(self, method: str, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(url, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
