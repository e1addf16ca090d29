// "Run workflow" on the project page: a workflow_dispatch form with one field per declared
// input, as the server's workflow loader reads them (GET …/workflows, `dispatch`), so the form
// offers exactly what a dispatch accepts.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, enc, projectPath, type DispatchInput, type DispatchResult, type Project, type Workflow } from '../api';
import { ErrorBox, focusErrorField } from '../components';

/** "ci.yml" of ".github/workflows/ci.yml" (the workflow's key in URLs and filters). */
export function workflowKey(path: string): string {
  const m = /^\.github\/workflows\/([^/]+)$/.exec(path);
  return m ? m[1] : path;
}

type Values = Record<string, string | boolean>;

/** The form's first values: each input's default (a boolean's as a checkbox state). */
export function initialValues(inputs: Record<string, DispatchInput>): Values {
  const out: Values = {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.type === 'boolean') out[name] = input.default === true || input.default === 'true';
    else if (input.type === 'choice' && input.default === null) out[name] = input.options[0] ?? '';
    else out[name] = input.default === null ? '' : String(input.default);
  }
  return out;
}

/** The dispatch's `inputs`: booleans as booleans; an empty optional field is left out, so the
 * server applies the workflow's default. */
export function dispatchBody(inputs: Record<string, DispatchInput>, values: Values): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const v = values[name];
    if (input.type === 'boolean') out[name] = v === true;
    else if (typeof v === 'string' && (v !== '' || input.required)) out[name] = v;
  }
  return out;
}

function InputField({ name, input, value, set }: { name: string; input: DispatchInput; value: string | boolean; set: (v: string | boolean) => void }) {
  const id = `dispatch-input-${name}`;
  const help = input.description ? `${id}-help` : undefined;
  const label = (
    <>
      {name}
      {input.required && <span aria-hidden="true"> *</span>}
    </>
  );
  const description = help && (
    <span id={help} class="help">
      {input.description}
    </span>
  );
  if (input.type === 'boolean') {
    return (
      <div class="field check">
        <label>
          <input type="checkbox" name={`inputs.${name}`} checked={value === true} aria-describedby={help} onChange={(e) => set(e.currentTarget.checked)} />{' '}
          {label}
        </label>
        {description}
      </div>
    );
  }
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {input.type === 'choice' ? (
        <select id={id} name={`inputs.${name}`} required={input.required} aria-describedby={help} value={String(value)} onChange={(e) => set(e.currentTarget.value)}>
          {!input.required && <option value="">(none)</option>}
          {input.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={`inputs.${name}`}
          required={input.required}
          inputMode={input.type === 'number' ? 'decimal' : undefined}
          spellcheck={false}
          aria-describedby={help}
          value={String(value)}
          onInput={(e) => set(e.currentTarget.value)}
        />
      )}
      {description}
    </div>
  );
}

export function RunWorkflow({ project, workflow, onStarted }: { project: Project; workflow: Workflow; onStarted: () => void }) {
  const key = workflowKey(workflow.path);
  const shortName = project.name.slice(project.owner.length + 1);
  const url = `${projectPath(project.owner, shortName)}/workflows/${enc(key)}/dispatches`;
  const inputs = workflow.dispatch?.inputs ?? {};
  const [open, setOpen] = useState(false);
  const [ref, setRef] = useState(project.default_branch);
  const [values, setValues] = useState<Values>(() => initialValues(inputs));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<{ id: number; label: string }[] | null>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const firstField = useRef<HTMLInputElement>(null);
  const form = useRef<HTMLFormElement>(null);

  useLayoutEffect(() => {
    if (open) firstField.current?.focus();
  }, [open]);

  // Without a workflow_dispatch trigger there is nothing to run by hand (as on GitHub).
  if (!workflow.dispatch) return null;

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<DispatchResult>(url, { ref: ref.trim(), inputs: dispatchBody(inputs, values) });
      // The answer names each run with its number (#7), as the list shows them.
      const numbers = new Map((r.run_list ?? []).map((x) => [x.id, x.run_number]));
      setStarted(
        r.runs.map((id) => {
          const n = numbers.get(id);
          return { id, label: n ? `${workflow.name || key} #${n}` : `run ${id}` };
        }),
      );
      setOpen(false);
      toggle.current?.focus();
      onStarted();
    } catch (err) {
      setError(err);
      focusErrorField(form.current, err);
    } finally {
      setBusy(false);
    }
  }

  const names = Object.keys(inputs);
  return (
    <div class="dispatch">
      <div class="dispatch-bar">
        <span class="muted small">This workflow has a workflow_dispatch trigger.</span>
        <button
          type="button"
          ref={toggle}
          aria-expanded={open}
          aria-controls="dispatch-form"
          onClick={() => {
            setOpen(!open);
            setStarted(null);
          }}
        >
          Run workflow
        </button>
      </div>
      <p role="status" aria-live="polite" class="small">
        {started && started.length > 0 && (
          <>
            Started{' '}
            {started.map((run, i) => (
              <span key={run.id}>
                {i > 0 && ', '}
                <a href={`/${project.name}/runs/${run.id}`}>{run.label}</a>
              </span>
            ))}
            .
          </>
        )}
        {started && started.length === 0 && <>No run started: the workflow's triggers did not match.</>}
      </p>
      {open && (
        <form
          id="dispatch-form"
          ref={form}
          class="card form dispatch-form"
          onSubmit={submit}
          aria-label={`Run ${workflow.name || key}`}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            setOpen(false);
            toggle.current?.focus();
          }}
        >
          <label>
            Use workflow from (branch, tag or commit)
            <input ref={firstField} name="ref" required spellcheck={false} value={ref} onInput={(e) => setRef(e.currentTarget.value)} />
          </label>
          {names.length > 0 && (
            <fieldset class="dispatch-inputs">
              <legend>Inputs</legend>
              {names.map((n) => (
                <InputField key={n} name={n} input={inputs[n]} value={values[n] ?? ''} set={(v) => setValues((old) => ({ ...old, [n]: v }))} />
              ))}
            </fieldset>
          )}
          <ErrorBox error={error} />
          <div class="toolbar">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Starting…' : 'Run workflow'}
            </button>
            <button
              type="button"
              onClick={() => {
                setOpen(false);
                toggle.current?.focus();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
