import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import {
  consoleConfig,
  finishProviderSignIn,
  isProviderCallback,
  redeemSignInLink,
  signInLinkCode,
  SignInRefusal,
  startProviderSignIn,
  type ConsoleConfig,
} from '../sign-in-options';

/** The address whose sign-in answer (link code or provider redirect) is being taken up, so it is taken up once. */
let handledAddress: string | undefined;

const inWords = (error: unknown): string =>
  error instanceof SignInRefusal ? error.message : 'The sign-in failed unexpectedly. Start again.';

/**
 * Sign-in besides the access-token form: the identity provider's button (when AUTH_OIDC_* is configured), its redirect
 * back here, and a one-time sign-in link (`/sign-in#code=…`). Codes leave the address bar before they are redeemed.
 */
export function SignInElsewhere({ next }: { next: string }) {
  const navigate = useNavigate();
  // A link pasted into a tab already at /sign-in changes only the fragment: the page does not load again.
  const { hash, search } = useLocation();
  const [config, setConfig] = useState<ConsoleConfig>();
  const [status, setStatus] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void consoleConfig().then((loaded) => live && setConfig(loaded));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const address = window.location.href;
    const code = signInLinkCode(window.location.hash);
    const callback = isProviderCallback(window.location.search) ? new URL(address) : undefined;
    if (code === undefined && callback === undefined) {
      handledAddress = undefined;
      return;
    }
    if (handledAddress === address) return;
    handledAddress = address;
    setStatus('Signing you in…');
    navigate('/sign-in', { replace: true });
    const signedIn =
      code !== undefined
        ? redeemSignInLink(code).then(() => next)
        : consoleConfig().then((loaded) => {
            if (!loaded.identityProvider)
              throw new SignInRefusal('This console signs in with no identity provider: use an access token.');
            return finishProviderSignIn(loaded.identityProvider, callback!);
          });
    signedIn.then(
      (to) => navigate(to, { replace: true }),
      (error: unknown) => {
        setStatus(null);
        setRefusal(inWords(error));
      },
    );
  }, [navigate, next, hash, search]);

  const provider = config?.identityProvider;
  return (
    <>
      {status && <p role="status">{status}</p>}
      {refusal && (
        <p role="alert" className="refusal">
          {refusal}
        </p>
      )}
      {provider && (
        <div className="provider-sign-in">
          <button
            type="button"
            disabled={status !== null}
            onClick={() => {
              setRefusal(null);
              setStatus(`Going to ${new URL(provider.issuer).host}…`);
              startProviderSignIn(provider, next).catch((error: unknown) => {
                setStatus(null);
                setRefusal(inWords(error));
              });
            }}
          >
            Sign in with your identity provider
          </button>
          <p className="help">
            You sign in at {new URL(provider.issuer).host} and come back here. Or paste an access token below.
          </p>
        </div>
      )}
    </>
  );
}
