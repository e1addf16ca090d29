import { Page } from '../components';

// Placeholder: to be written.
export function NewProjectPage() {
  return (
    <Page title="NewProjectPage">
      <h1>NewProjectPage</h1>
    </Page>
  );
}
