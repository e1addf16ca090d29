{{/* Names, labels, and the decisions every template shares (database mode, secrets). */}}

{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* RELEASE-gantry, or RELEASE when it contains the chart name; at most 63 characters. */}}
{{- define "gantry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gantry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The standard labels of every object. */}}
{{- define "gantry.labels" -}}
helm.sh/chart: {{ include "gantry.chart" . }}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gantry
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "api"). Never change them:
     a Deployment's selector is immutable. */}}
{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Standard labels plus the component's. */}}
{{- define "gantry.componentLabels" -}}
{{ include "gantry.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "gantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gantry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the chart generates (server key, admin, passwords, URLs). */}}
{{- define "gantry.secretName" -}}
{{- include "gantry.fullname" . -}}
{{- end -}}

{{- define "gantry.apiImage" -}}
{{- printf "%s:%s" .Values.api.image.repository (default .Chart.AppVersion .Values.api.image.tag) -}}
{{- end -}}

{{- define "gantry.executorImage" -}}
{{- printf "%s:%s" .Values.executor.image.repository (default .Chart.AppVersion .Values.executor.image.tag) -}}
{{- end -}}

{{/* sqlite, postgresql (bundled) or external. */}}
{{- define "gantry.databaseMode" -}}
{{- if .Values.postgresql.enabled -}}postgresql
{{- else if or .Values.externalDatabase.url .Values.externalDatabase.existingSecret -}}external
{{- else -}}sqlite
{{- end -}}
{{- end -}}

{{/* none, redis (bundled) or external. */}}
{{- define "gantry.redisMode" -}}
{{- if .Values.redis.enabled -}}redis
{{- else if or .Values.externalRedis.url .Values.externalRedis.existingSecret -}}external
{{- else -}}none
{{- end -}}
{{- end -}}

{{- define "gantry.apiServiceName" -}}
{{- printf "%s-api" (include "gantry.fullname" .) -}}
{{- end -}}

{{/* The in-cluster URL of the API Service. */}}
{{- define "gantry.internalUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "gantry.apiServiceName" .) .Release.Namespace .Values.api.service.port -}}
{{- end -}}

{{/* GANTRY_EXTERNAL_URL: the value, else the first ingress host, else the Service. */}}
{{- define "gantry.externalUrl" -}}
{{- if .Values.server.externalUrl -}}
{{- .Values.server.externalUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- $host := (first .Values.ingress.hosts).host -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) $host -}}
{{- else -}}
{{- include "gantry.internalUrl" . -}}
{{- end -}}
{{- end -}}

{{/* A generated secret value, base64: the one the release's Secret already holds (so
     upgrades keep it), else the given new one. (list $ "key" "new-base64") */}}
{{- define "gantry.keepOrGenerate" -}}
{{- $ctx := index . 0 -}}
{{- $key := index . 1 -}}
{{- $existing := lookup "v1" "Secret" $ctx.Release.Namespace (include "gantry.secretName" $ctx) -}}
{{- if and $existing $existing.data (hasKey $existing.data $key) -}}
{{- index $existing.data $key -}}
{{- else -}}
{{- index . 2 -}}
{{- end -}}
{{- end -}}

{{/* Settings server.settings may not set: the chart sets them itself. */}}
{{- define "gantry.reservedSettings" -}}
listen data-dir database redis key-file storage-dir external-url signup embedded-executor replica-id config executor-capacity smtp-password
{{- end -}}

{{/* Every other `gantry server` flag (gantry server --help). */}}
{{- define "gantry.knownSettings" -}}
tls-cert tls-key executor-work-dir lease-seconds lease-ack-seconds replica-claim-seconds requeue-labels approval-timeout max-body http-workers login-attempts web-dir smtp-url smtp-user smtp-password-file smtp-from smtp-ca-file smtp-starttls delivery-backoff delivery-attempts delivery-timeout
{{- end -}}

{{/* Refuses combinations that cannot work, with what to do. Included by the API Deployment. */}}
{{- define "gantry.validate" -}}
{{- $db := include "gantry.databaseMode" . -}}
{{- if and (gt (int .Values.api.replicas) 1) (eq $db "sqlite") -}}
{{- fail (printf "api.replicas=%d needs PostgreSQL: SQLite is one server's file. Set postgresql.enabled=true (bundled) or externalDatabase.url (external), or api.replicas=1" (int .Values.api.replicas)) -}}
{{- end -}}
{{- if and .Values.postgresql.enabled (or .Values.externalDatabase.url .Values.externalDatabase.existingSecret) -}}
{{- fail "postgresql.enabled=true and externalDatabase are both set: choose one (postgresql.enabled=false for an external database)" -}}
{{- end -}}
{{- if and .Values.redis.enabled (or .Values.externalRedis.url .Values.externalRedis.existingSecret) -}}
{{- fail "redis.enabled=true and externalRedis are both set: choose one (redis.enabled=false for an external Redis)" -}}
{{- end -}}
{{- if gt (int .Values.api.replicas) 1 -}}
{{- $st := .Values.persistence.storage -}}
{{- if not $st.enabled -}}
{{- fail "api.replicas>1 needs a shared artifact volume: set persistence.storage.enabled=true with accessModes [ReadWriteMany] or an existingClaim" -}}
{{- end -}}
{{- if and (not $st.existingClaim) (not (has "ReadWriteMany" $st.accessModes)) -}}
{{- fail "api.replicas>1: every replica must see the same artifacts; set persistence.storage.accessModes to [ReadWriteMany] (a storage class that offers it, e.g. NFS) or persistence.storage.existingClaim" -}}
{{- end -}}
{{- end -}}
{{- if not (has .Values.server.signup (list "open" "closed")) -}}
{{- fail (printf "server.signup=%v: use open or closed" .Values.server.signup) -}}
{{- end -}}
{{- $reserved := splitList " " (include "gantry.reservedSettings" .) -}}
{{- $known := splitList " " (include "gantry.knownSettings" .) -}}
{{- range $name, $value := .Values.server.settings -}}
{{- if has $name $reserved -}}
{{- fail (printf "server.settings.%s: the chart sets this one itself; use the value made for it (see values.yaml)" $name) -}}
{{- end -}}
{{- if not (has $name $known) -}}
{{- fail (printf "server.settings.%s: gantry server has no such setting (gantry server --help lists them: %s)" $name (include "gantry.knownSettings" $)) -}}
{{- end -}}
{{- end -}}
{{- if .Values.executor.enabled -}}
{{- if not (or .Values.executor.registrationToken .Values.executor.existingSecret) -}}
{{- fail "executor.enabled=true needs a registration token: executor.registrationToken or executor.existingSecret (an admin creates one: POST /api/v1/executors/registration-tokens, see values.yaml)" -}}
{{- end -}}
{{- if not (has .Values.executor.docker.mode (list "none" "dind" "hostSocket")) -}}
{{- fail (printf "executor.docker.mode=%v: use none, dind or hostSocket" .Values.executor.docker.mode) -}}
{{- end -}}
{{- if not (has .Values.executor.backend (list "host" "sandbox" "docker")) -}}
{{- fail (printf "executor.backend=%v: use host, sandbox or docker" .Values.executor.backend) -}}
{{- end -}}
{{- if and (eq .Values.executor.backend "docker") (eq .Values.executor.docker.mode "none") -}}
{{- fail "executor.backend=docker needs a Docker engine: set executor.docker.mode to dind or hostSocket" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) -}}
{{- fail "ingress.enabled=true needs at least one entry in ingress.hosts" -}}
{{- end -}}
{{- end -}}
