// /patterns and /patterns/:name: the server's built-in pipeline patterns (workflow templates).
import { useRoute } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, enc, type Pattern } from '../api';
import { CopyButton, ErrorBox, Loading, Page, useLoad } from '../components';

function DownloadButton({ name, text }: { name: string; text: string }) {
  const [href, setHref] = useState('');
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/x-yaml' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [text]);
  return (
    <a class="button" href={href || undefined} download={`${name}.yml`}>
      Download {name}.yml
    </a>
  );
}

function PatternDetail({ name }: { name: string }) {
  const [pattern, error] = useLoad(() => api.get<Pattern>(`/api/v1/patterns/${enc(name)}`), [name]);
  return (
    <Page title={`${name} · Patterns`}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/patterns">Patterns</a> / <span aria-current="page">{name}</span>
      </nav>
      <h1>{name}</h1>
      <ErrorBox error={error} />
      {!pattern && !error && <Loading what="the pattern" />}
      {pattern && (
        <>
          <p>{pattern.description}</p>
          <div class="toolbar">
            <CopyButton text={pattern.workflow} label="Copy YAML" />
            <DownloadButton name={pattern.name} text={pattern.workflow} />
          </div>
          <h2>Add it to a project</h2>
          <ol>
            <li>
              In a checkout of the repository, run <code>gantry pattern apply {pattern.name}</code> (or save the
              downloaded file as <code>.github/workflows/{pattern.name}.yml</code>).
            </li>
            <li>Adjust it to the project: versions, commands, branches.</li>
            <li>
              Commit and push:
              <pre class="code">{`git add .github/workflows/${pattern.name}.yml\ngit commit -m "CI: ${pattern.name}"\ngit push`}</pre>
            </li>
          </ol>
          <p class="muted">
            The push starts the first run; its workflow then appears on the project's page.
          </p>
          <h2 id="yaml-title">.github/workflows/{pattern.name}.yml</h2>
          <pre class="code" data-testid="pattern-yaml" role="region" aria-labelledby="yaml-title" tabIndex={0}>
            {pattern.workflow}
          </pre>
        </>
      )}
    </Page>
  );
}

function PatternList() {
  const [patterns, error] = useLoad(() => api.get<{ patterns: Pattern[] }>('/api/v1/patterns').then((r) => r.patterns), []);
  return (
    <Page title="Patterns">
      <h1>Pipeline patterns</h1>
      <p class="muted">
        Ready-made workflows for common projects. Open one to copy or download it, or run{' '}
        <code>gantry pattern apply NAME</code> in a checkout.
      </p>
      <ErrorBox error={error} />
      {!patterns && !error && <Loading what="patterns" />}
      {patterns && patterns.length === 0 && <p class="empty">This server has no patterns.</p>}
      {patterns && patterns.length > 0 && (
        <ul class="list" data-testid="patterns">
          {patterns.map((p) => (
            <li key={p.name}>
              <a href={`/patterns/${enc(p.name)}`}>
                <strong>{p.name}</strong>
              </a>
              <span class="muted">{p.description}</span>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function PatternsPage() {
  const { params } = useRoute();
  return params.name ? <PatternDetail name={params.name} /> : <PatternList />;
}
