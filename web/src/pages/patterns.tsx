import { Page } from '../components';

// Placeholder: to be written.
export function PatternsPage() {
  return (
    <Page title="PatternsPage">
      <h1>PatternsPage</h1>
    </Page>
  );
}
