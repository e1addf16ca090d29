import { Page } from '../components';

// Placeholder: to be written.
export function JobPage() {
  return (
    <Page title="JobPage">
      <h1>JobPage</h1>
    </Page>
  );
}
