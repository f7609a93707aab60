import { Link } from 'react-router';

/** What the API refused, in words; a refused token leads back to sign-in. */
export function Refusal({ message, status }: { message: string; status: number }) {
  return (
    <div role="alert" className="refusal">
      <p>{message}</p>
      {status === 401 && <Link to="/sign-in">Sign in again</Link>}
    </div>
  );
}
