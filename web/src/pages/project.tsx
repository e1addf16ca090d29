import { Page } from '../components';

// Placeholder: to be written.
export function ProjectPage() {
  return (
    <Page title="ProjectPage">
      <h1>ProjectPage</h1>
    </Page>
  );
}
