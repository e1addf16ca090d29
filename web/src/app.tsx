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
const SecurityPage = lazy(() => import('./pages/security').then((m) => m.SecurityPage));
const DeploymentsPage = lazy(() => import('./pages/deployments').then((m) => m.DeploymentsPage));
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
  const { route, path } = useLocation();
  const current = (href: string, match: (p: string) => boolean) => (
    <a href={href} aria-current={match(path) ? 'page' : undefined}>
      {href === '/' ? 'Projects' : href === '/patterns' ? 'Patterns' : 'Tokens'}
    </a>
  );
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
          {current('/', (p) => p !== '/patterns' && !p.startsWith('/patterns/') && p !== '/settings/tokens')}
          {current('/patterns', (p) => p === '/patterns' || p.startsWith('/patterns/'))}
          {current('/settings/tokens', (p) => p === '/settings/tokens')}
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
              route('/login');
              await logout();
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

// After an in-app navigation, focus would stay on a link that is gone: move it to the new
// page's <main> (which stays while the page goes from loading to loaded, unlike its heading),
// so keyboard and screen-reader users start at the top of the new page.
function focusPage() {
  requestAnimationFrame(() => {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    document.querySelector<HTMLElement>('main#main')?.focus({ preventScroll: true });
  });
}

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
    <Router onRouteChange={focusPage}>
      <Route path="/login" component={LoginPage} />
      <Route path="/signup" component={SignupPage} />
      <Route path="/" component={ProjectsPage} />
      <Route path="/new" component={NewProjectPage} />
      <Route path="/settings/tokens" component={TokensPage} />
      <Route path="/patterns" component={PatternsPage} />
      <Route path="/patterns/:name" component={PatternsPage} />
      <Route path="/:owner/:name" component={ProjectPage} />
      <Route path="/:owner/:name/settings" component={ProjectSettingsPage} />
      <Route path="/:owner/:name/security" component={SecurityPage} />
      <Route path="/:owner/:name/deployments" component={DeploymentsPage} />
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
