// The project pages' tabs: Runs (/:owner/:name), Deployments (/:owner/:name/deployments) and
// Security (/:owner/:name/security), links so each has a URL; the current one carries
// aria-current.
import { enc } from '../api';

export function ProjectTabs({ owner, name, current }: { owner: string; name: string; current: 'runs' | 'deployments' | 'security' }) {
  const base = `/${enc(owner)}/${enc(name)}`;
  return (
    <nav class="tabs project-tabs" aria-label="Project views" data-testid="project-tabs">
      <a href={base} aria-current={current === 'runs' ? 'page' : undefined}>
        Runs
      </a>
      <a href={`${base}/deployments`} aria-current={current === 'deployments' ? 'page' : undefined}>
        Deployments
      </a>
      <a href={`${base}/security`} aria-current={current === 'security' ? 'page' : undefined}>
        Security
      </a>
    </nav>
  );
}
