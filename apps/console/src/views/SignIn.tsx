import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { readToken, signIn } from '../session';
import { SignInElsewhere } from './SignInElsewhere';

/** Where to go after signing in: a path of this console only, never another origin. */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/teams';
}

export function SignIn() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [token, setToken] = useState('');
  const [refusal, setRefusal] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const claims = readToken(token.trim());
    if (typeof claims === 'string') {
      setRefusal(claims);
      return;
    }
    signIn(token.trim());
    navigate(safeNext(params.get('next')), { replace: true });
  };

  return (
    <main className="sign-in">
      <h1>Sign in to the access-audit console</h1>
      <SignInElsewhere next={safeNext(params.get('next'))} />
      <form onSubmit={submit}>
        <label htmlFor="access-token">Access token</label>
        <textarea
          id="access-token"
          name="access-token"
          rows={4}
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-describedby="token-help"
          required
        />
        <p id="token-help" className="help">
          A bearer token (JWT). With the embedded default, mint one in the repository folder:{' '}
          <code>npm run -s token -- alice</code> (or start the service with <code>npm start -- --sign-in alice</code>{' '}
          and open the link it prints). It is kept in this tab only and forgotten when the tab closes.
        </p>
        {refusal && (
          <p role="alert" className="refusal">
            {refusal}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
