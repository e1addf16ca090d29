import { useEffect, useState } from 'preact/hooks';
import { api, projectPath, type Project, type Run, type RunList } from '../api';
import { ErrorBox, Loading, Page, RelativeTime, StatusIcon } from '../components';

/** The project's newest run: its state, title and time (one request, when the row shows). */
function LatestRun({ project }: { project: Project }) {
  const [run, setRun] = useState<Run | null | undefined>(undefined);
  useEffect(() => {
    api
      .get<RunList>(`${projectPath(project.owner, project.name.slice(project.owner.length + 1))}/runs?limit=1`)
      .then((r) => setRun(r.runs[0] ?? null))
      .catch(() => setRun(null));
  }, [project.name]);
  if (run === undefined) return null;
  if (run === null) return <span class="muted small">No runs yet</span>;
  return (
    <span class="latest small">
      <StatusIcon status={run.status} conclusion={run.conclusion} />{' '}
      <a href={`/${project.name}/runs/${run.id}`}>
        {run.name || run.workflow} #{run.run_number}
      </a>{' '}
      <span class="muted">
        <RelativeTime iso={run.created_at} />
      </span>
    </span>
  );
}

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
      {!projects && !error && <Loading what="projects" />}
      {projects && projects.length === 0 && (
        <p class="empty">
          No projects yet. <a href="/new">Add one</a> from a git repository, or browse the{' '}
          <a href="/patterns">pipeline patterns</a>.
        </p>
      )}
      {projects && projects.length > 0 && (
        <ul class="list projects" data-testid="projects">
          {projects.map((p, i) => (
            <li key={p.id}>
              <div class="project-main">
                <a href={`/${p.name}`}>
                  <strong>{p.name}</strong>
                </a>
                <span class="muted small mono">{p.repository}</span>
              </div>
              {i < 50 && <LatestRun project={p} />}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
