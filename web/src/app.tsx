// The shell: header, the signed-in check, and the routes. Pages live in pages/.
import { LocationProvider, Router, Route, lazy, useLocation } from 'preact-iso';
import { useEffect } from 'preact/hooks';
import { currentUser, loadUser, logout } from './session';
import { LoginPage, SignupPage } from './pages/auth';
import { ProjectsPage } from './pages/projects';

const NewProjectPage = lazy(() => import('./pages/new_project').then((m) => m.NewProjectPage));
const ProjectPage = lazy(() => import('./pages/project').then((m) => m.ProjectPage));
const ProjectSettingsPage = lazy(() => import('./pages/project_settings').then((m) => m.ProjectSettingsPage));
const TokensPage = lazy(() => import('./pages/tokens').then((m) => m.TokensPage));
const PatternsPage = lazy(() => import('./pages/patterns').then((m) => m.PatternsPage));
const RunPage = lazy(() => import('./run/run_page').then((m) => m.RunPage));
const JobPage = lazy(() => import('./log/job_page').then((m) => m.JobPage));

function NotFound() {
  return (
    <main id="main">
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to your projects</a>.
      </p>
    </main>
  );
}

function Header() {
  const user = currentUser.value;
  const { route } = useLocation();
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/">
        Gantry
      </a>
      {user && (
        <nav aria-label="Main">
          <a href="/">Projects</a>
          <a href="/patterns">Patterns</a>
          <a href="/settings/tokens">Tokens</a>
        </nav>
      )}
      <span class="spacer" />
      {user && (
        <span class="who">
          <span data-testid="username">{user.username}</span>
          <button
            type="button"
            class="link"
            onClick={async () => {
              await logout();
              route('/login');
            }}
          >
            Log out
          </button>
        </span>
      )}
    </header>
  );
}

const publicPaths = ['/login', '/signup'];

function Gate() {
  const { path, url, route } = useLocation();
  const user = currentUser.value;
  useEffect(() => {
    if (user === null && !publicPaths.includes(path)) {
      route('/login?next=' + encodeURIComponent(url), true);
    }
  }, [user, path]);
  if (user === undefined) return <main id="main" aria-busy="true" />;
  if (user === null && !publicPaths.includes(path)) return null;
  return (
    <Router>
      <Route path="/login" component={LoginPage} />
      <Route path="/signup" component={SignupPage} />
      <Route path="/" component={ProjectsPage} />
      <Route path="/new" component={NewProjectPage} />
      <Route path="/settings/tokens" component={TokensPage} />
      <Route path="/patterns" component={PatternsPage} />
      <Route path="/patterns/:name" component={PatternsPage} />
      <Route path="/:owner/:name" component={ProjectPage} />
      <Route path="/:owner/:name/settings" component={ProjectSettingsPage} />
      <Route path="/:owner/:name/runs/:id" component={RunPage} />
      <Route path="/:owner/:name/runs/:id/jobs/:job" component={JobPage} />
      <Route default component={NotFound} />
    </Router>
  );
}

export function App() {
  useEffect(() => {
    loadUser();
  }, []);
  return (
    <LocationProvider>
      <Header />
      <Gate />
    </LocationProvider>
  );
}
