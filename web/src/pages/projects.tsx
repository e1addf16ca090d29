import { useEffect, useState } from 'preact/hooks';
import { api, type Project } from '../api';
import { ErrorBox, Page } from '../components';

export function ProjectsPage() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .get<{ projects: Project[] }>('/api/v1/projects')
      .then((r) => setProjects(r.projects))
      .catch(setError);
  }, []);
  return (
    <Page title="Projects">
      <div class="page-head">
        <h1>Projects</h1>
        <a class="button primary" href="/new">
          New project
        </a>
      </div>
      <ErrorBox error={error} />
      {projects && projects.length === 0 && (
        <p class="empty">
          No projects yet. <a href="/new">Add one</a> from a git repository, or browse the{' '}
          <a href="/patterns">pipeline patterns</a>.
        </p>
      )}
      {projects && projects.length > 0 && (
        <ul class="list" data-testid="projects">
          {projects.map((p) => (
            <li key={p.id}>
              <a href={`/${p.name}`}>{p.name}</a>
              <span class="muted">{p.repository}</span>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
