// /:owner/:name/deployments[?environment=E]: the project's deployments newest first (…/deployments,
// "Load more" pages with ?before=), filtered by environment, and per environment a Roll back
// button (…/deployments/rollback) that opens the new run. docs/server.md "Deployments".
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, enc, hasRole, projectPath, type Project } from '../api';
import { ConfirmButton, ErrorBox, Loading, Page, RelativeTime, StatusIcon, useLoad } from '../components';
import {
  deploymentLabels,
  deploymentState,
  deploymentsQuery,
  latestByEnvironment,
  safeHttpUrl,
  type Deployment,
  type Environment,
} from '../lib/environments';
import { ProjectTabs } from './project_nav';

const pageSize = 30;

function DeploymentStatus({ status }: { status: string }) {
  const s = deploymentState(status);
  return (
    <span class="deploy-status" data-status={status}>
      <StatusIcon status={s.status} conclusion={s.conclusion} /> {deploymentLabels[status] ?? status}
    </span>
  );
}

function RollBack({ base, environment, onDone }: { base: string; environment: string; onDone: (runId: number) => void }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <ConfirmButton
        label="Roll back"
        what={environment}
        question={`Roll ${environment} back to its previous good deployment?`}
        onConfirm={async () => {
          setError(null);
          try {
            const r = await api.post<{ run: { id: number } }>(`${base}/deployments/rollback`, { environment });
            onDone(r.run.id);
          } catch (e) {
            setError(e);
          }
        }}
      />
      <ErrorBox error={error} />
    </>
  );
}

export function DeploymentsPage() {
  const { params, query } = useRoute();
  const { route } = useLocation();
  const owner = params.owner,
    name = params.name;
  const full = `${owner}/${name}`;
  const base = projectPath(owner, name);
  const home = `/${enc(owner)}/${enc(name)}`;
  const environment = query.environment ?? '';
  const [project] = useLoad(() => api.get<Project>(base), [base]);
  const [envs] = useLoad(() => api.get<{ environments: Environment[] }>(`${base}/environments`).then((r) => r.environments), [base]);
  const [list, setList] = useState<Deployment[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function load(before?: number) {
    setBusy(true);
    try {
      const r = await api.get<{ deployments: Deployment[] }>(`${base}/deployments` + deploymentsQuery({ environment, limit: pageSize, before }));
      setList((old) => (before !== undefined && old ? [...old, ...r.deployments] : r.deployments));
      setMore(r.deployments.length === pageSize);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => {
    setList(null);
    load();
  }, [base, environment]);

  // The environments to filter by and roll back: the project's, and any only seen in deployments.
  const names = [...new Set([...(envs ?? []).map((e) => e.name), ...latestByEnvironment(list ?? []).map((d) => d.environment)])].sort();
  const shown = environment ? names.filter((n) => n === environment) : names;
  const latest = latestByEnvironment(list ?? []);
  const maintainer = hasRole(project, 'maintainer');

  return (
    <Page title={`Deployments · ${full}`}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={home}>{full}</a> / <span aria-current="page">Deployments</span>
      </nav>
      <h1>Deployments</h1>
      <ProjectTabs owner={owner} name={name} current="deployments" />
      <form class="row filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deployments">
        <label for="deploy-env">Environment</label>
        <select
          id="deploy-env"
          value={environment}
          onChange={(e) => {
            const v = e.currentTarget.value;
            route(`${home}/deployments${v ? '?environment=' + enc(v) : ''}`);
          }}
        >
          <option value="">All environments</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
          {environment && !names.includes(environment) && <option value={environment}>{environment}</option>}
        </select>
      </form>

      {shown.length > 0 && (
        <section aria-labelledby="envs-h" class="deploy-envs">
          <h2 id="envs-h">Environments</h2>
          <ul class="list">
            {shown.map((n) => {
              const d = latest.find((x) => x.environment === n);
              return (
                <li key={n} data-environment={n}>
                  <strong class="mono">{n}</strong>
                  {d ? (
                    <>
                      <DeploymentStatus status={d.status} />
                      <span class="mono" title={d.sha}>
                        {d.sha.slice(0, 7)}
                      </span>
                      <RelativeTime iso={d.created_at} />
                    </>
                  ) : (
                    <span class="muted">{list && !more ? 'no deployments' : ''}</span>
                  )}
                  {maintainer && <RollBack base={base} environment={n} onDone={(id) => route(`${home}/runs/${id}`)} />}
                </li>
              );
            })}
          </ul>
        </section>
      )}

      <section aria-labelledby="deploys-h">
        <h2 id="deploys-h">{environment ? `Deployments to ${environment}` : 'All deployments'}</h2>
        <ErrorBox error={error} />
        {!list && !error && <Loading what="deployments" />}
        {list && list.length === 0 && <p class="empty">No deployments{environment ? ` to ${environment}` : ''} yet.</p>}
        {list && list.length > 0 && (
          <table data-testid="deployments" aria-labelledby="deploys-h">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Environment</th>
                <th scope="col">Commit</th>
                <th scope="col">Run</th>
                <th scope="col">By</th>
                <th scope="col">URL</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => {
                const url = d.url ? safeHttpUrl(d.url) : null;
                return (
                  <tr key={d.id} data-deployment={d.id}>
                    <td>
                      <DeploymentStatus status={d.status} />
                    </td>
                    <th scope="row" class="mono">
                      {d.environment}
                    </th>
                    <td>
                      <span class="mono" title={d.sha}>
                        {d.sha.slice(0, 7)}
                      </span>{' '}
                      <span class="muted mono">{d.ref.replace(/^refs\/(heads|tags)\//, '')}</span>
                    </td>
                    <td>
                      <a href={`${home}/runs/${d.run_id}`}>
                        {d.workflow.replace(/^\.github\/workflows\//, '')} · run {d.run_id}
                      </a>
                      <span class="muted"> {d.job_id}</span>
                    </td>
                    <td>{d.actor}</td>
                    <td>
                      {url ? (
                        <a href={url} target="_blank" rel="noopener noreferrer external">
                          {d.url}
                        </a>
                      ) : (
                        d.url && <span class="mono">{d.url}</span>
                      )}
                    </td>
                    <td>
                      <RelativeTime iso={d.created_at} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {list && more && (
          <p>
            <button type="button" disabled={busy} onClick={() => load(list[list.length - 1]!.id)}>
              Load more
            </button>
          </p>
        )}
      </section>
    </Page>
  );
}
