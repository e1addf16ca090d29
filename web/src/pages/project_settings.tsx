import { Page } from '../components';

// Placeholder: to be written.
export function ProjectSettingsPage() {
  return (
    <Page title="ProjectSettingsPage">
      <h1>ProjectSettingsPage</h1>
    </Page>
  );
}
