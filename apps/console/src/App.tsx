import type { ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { currentToken, readToken, signOut } from './session';
import { AccessView } from './views/AccessView';
import { CampaignView } from './views/CampaignView';
import { Campaigns } from './views/Campaigns';
import { MemberView } from './views/MemberView';
import { AuditView } from './views/AuditView';
import { LiveChanges, LiveChangesNavLink } from './views/LiveChanges';
import { SignIn } from './views/SignIn';
import { TeamView } from './views/TeamView';
import { Teams } from './views/Teams';

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignIn />} />
      <Route path="/" element={<Navigate to="/teams" replace />} />
      <Route
        path="/teams"
        element={
          <SignedIn>
            <Teams />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId"
        element={
          <SignedIn>
            <TeamView />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/access"
        element={
          <SignedIn>
            <AccessView />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/access-reviews"
        element={
          <SignedIn>
            <Campaigns />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/access-reviews/:reviewId"
        element={
          <SignedIn>
            <CampaignView />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/members/:userId"
        element={
          <SignedIn>
            <MemberView />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/audit"
        element={
          <SignedIn>
            <AuditView />
          </SignedIn>
        }
      />
      <Route
        path="/teams/:teamId/changes"
        element={
          <SignedIn>
            <LiveChanges />
          </SignedIn>
        }
      />
      <Route
        path="*"
        element={
          <SignedIn>
            <NotAView />
          </SignedIn>
        }
      />
    </Routes>
  );
}

/** Views behind sign-in: without a token, the sign-in form, which comes back here afterwards. */
function SignedIn({ children }: { children: ReactNode }) {
  const location = useLocation();
  const navigate = useNavigate();
  const token = currentToken();
  if (token === null) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  const claims = readToken(token);
  return (
    <>
      <header className="bar">
        <Link to="/teams">access-audit</Link>
        <LiveChangesNavLink />
        <span>
          Signed in as <strong>{typeof claims === 'string' ? 'unknown user' : claims.sub}</strong>{' '}
          <button
            type="button"
            onClick={() => {
              signOut();
              navigate('/sign-in');
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>{children}</main>
    </>
  );
}

function NotAView() {
  return (
    <>
      <h1>No such page</h1>
      <p>
        The console has no view at this address. <Link to="/teams">Go to your teams</Link>.
      </p>
    </>
  );
}
