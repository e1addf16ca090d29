import { Page } from '../components';

// Placeholder: to be written.
export function RunPage() {
  return (
    <Page title="RunPage">
      <h1>RunPage</h1>
    </Page>
  );
}
