"""A fake STS answering ``AssumeRole`` (query protocol: form body in, XML out)."""
from __future__ import annotations

from urllib.parse import parse_qs

from tests.llm.fakes.server import Behaviour, FakeServer, Received, Reply

ACCESS_KEY = "ASIAFAKEASSUMEDROLE1"

_REPLY = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>{ACCESS_KEY}</AccessKeyId>
      <SecretAccessKey>fake-assumed-secret</SecretAccessKey>
      <SessionToken>fake-assumed-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAFAKE:widget-builder</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/BedrockInvoke/widget-builder</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>fake-sts-1</RequestId></ResponseMetadata>
</AssumeRoleResponse>"""


class FakeSts(FakeServer):
    def decode(self, raw: bytes) -> dict[str, object]:
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}

    def render(self, behaviour: Behaviour, received: Received) -> Reply:
        return Reply(200, _REPLY.encode(), {"Content-Type": "text/xml"})
