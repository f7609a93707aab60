import { useEffect, useState } from 'react';

/** The verified checkpoint that vouches for the chain up to `sequence` (the verify answer's `checkpoint`). */
export interface SignedCheckpoint {
  teamId: string;
  sequence: number;
  headHash: string;
  signedAt: string;
  algorithm: string;
  keyId: string;
  signature: string;
}

/** The bytes the service signs: canonical JSON (keys sorted, no spaces) of the five signed fields. */
const signedText = (c: SignedCheckpoint): string =>
  `{"headHash":${JSON.stringify(c.headHash)},"keyId":${JSON.stringify(c.keyId)},"sequence":${JSON.stringify(c.sequence)},` +
  `"signedAt":${JSON.stringify(c.signedAt)},"teamId":${JSON.stringify(c.teamId)}}`;

const bytesOfBase64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

type Check =
  { state: 'checking' } | { state: 'valid' } | { state: 'invalid'; why: string } | { state: 'unchecked'; why: string };

/** Verifies the signature with WebCrypto (Ed25519) against the service's public key (`GET /v1/audit/public-key`). */
async function checkSignature(checkpoint: SignedCheckpoint): Promise<Check> {
  if (!globalThis.crypto?.subtle) return { state: 'unchecked', why: 'this browser offers no WebCrypto here' };
  const response = await fetch('/v1/audit/public-key');
  if (!response.ok) return { state: 'unchecked', why: `the public key could not be fetched (${response.status})` };
  const servedKeyId = response.headers.get('X-Key-Id');
  if (servedKeyId !== null && servedKeyId !== checkpoint.keyId)
    return { state: 'invalid', why: `signed by key ${checkpoint.keyId}, not by the service's key ${servedKeyId}` };
  const pem = await response.text();
  const der = bytesOfBase64(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return { state: 'unchecked', why: 'this browser cannot verify Ed25519 signatures' };
  }
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = bytesOfBase64(checkpoint.signature);
  } catch {
    return { state: 'invalid', why: 'the signature is not base64' };
  }
  const valid = await crypto.subtle.verify(
    { name: 'Ed25519' },
    key,
    signature,
    new TextEncoder().encode(signedText(checkpoint)),
  );
  return valid ? { state: 'valid' } : { state: 'invalid', why: 'the signature does not match the checkpoint' };
}

function checkInWords(check: Check): string {
  switch (check.state) {
    case 'checking':
      return 'Checking the signature in this browser…';
    case 'valid':
      return "Signature valid: checked in this browser against the service's public key.";
    case 'invalid':
      return `Signature invalid: ${check.why}.`;
    case 'unchecked':
      return `Signature not checked here (${check.why}): download the NDJSON export and verify it with npm run audit:verify.`;
  }
}

/** The signed head of the chain: the checkpoint's fields, and whether its signature holds. */
export function SignedHead({ checkpoint }: { checkpoint: SignedCheckpoint | null | undefined }) {
  const [check, setCheck] = useState<Check>({ state: 'checking' });
  useEffect(() => {
    if (!checkpoint) return;
    let current = true;
    setCheck({ state: 'checking' });
    checkSignature(checkpoint).then(
      (result) => current && setCheck(result),
      (error: unknown) =>
        current && setCheck({ state: 'unchecked', why: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      current = false;
    };
  }, [checkpoint]);
  if (checkpoint === undefined) return null;
  if (checkpoint === null)
    return (
      <p data-testid="signed-head">
        No signed checkpoint yet: the service signs one within 100 entries or 60 seconds of an entry.
      </p>
    );
  return (
    <section className="signed-head" aria-labelledby="signed-head-title" data-testid="signed-head">
      <h3 id="signed-head-title">Signed head</h3>
      <p className={`signature ${check.state}`} data-testid="signature-check" data-state={check.state}>
        {checkInWords(check)}
      </p>
      <dl className="settings">
        <div>
          <dt>Vouches for entries 1 to</dt>
          <dd data-field="checkpoint.sequence">{checkpoint.sequence}</dd>
        </div>
        <div>
          <dt>Head hash (entry {checkpoint.sequence})</dt>
          <dd data-field="checkpoint.headHash">{checkpoint.headHash}</dd>
        </div>
        <div>
          <dt>Signed at</dt>
          <dd data-field="checkpoint.signedAt">
            <time dateTime={checkpoint.signedAt}>{checkpoint.signedAt}</time>
          </dd>
        </div>
        <div>
          <dt>Key id ({checkpoint.algorithm})</dt>
          <dd data-field="checkpoint.keyId">{checkpoint.keyId}</dd>
        </div>
        <div>
          <dt>Signature (base64)</dt>
          <dd data-field="checkpoint.signature" className="signature-value">
            {checkpoint.signature}
          </dd>
        </div>
      </dl>
      <p className="muted">
        To verify offline: download the NDJSON export and the public key (<code>/v1/audit/public-key</code>), then run{' '}
        <code>npm run audit:verify -- export.ndjson --public-key key.pem</code>.
      </p>
    </section>
  );
}
