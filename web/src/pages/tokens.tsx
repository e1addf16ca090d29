import { Page } from '../components';

// Placeholder: to be written.
export function TokensPage() {
  return (
    <Page title="TokensPage">
      <h1>TokensPage</h1>
    </Page>
  );
}
