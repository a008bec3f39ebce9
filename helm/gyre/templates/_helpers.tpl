{{/*
Names, labels and the shared config.json. Secrets never appear in these helpers' output except
through the Secret template.
*/}}

{{- define "gyre.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gyre.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gyre.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The services this chart runs, as service name → values key. */}}
{{- define "gyre.components" -}}
{{- toJson (dict "edge" "edge" "api" "api" "proxy-dispatcher" "proxyDispatcher" "presence-history" "presenceHistory") }}
{{- end }}

{{- define "gyre.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gyre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gyre.labels" -}}
helm.sh/chart: {{ include "gyre.chart" . }}
{{ include "gyre.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gyre
{{- end }}

{{/* Labels of one component; call with (dict "root" $ "component" "edge"). */}}
{{- define "gyre.componentSelectorLabels" -}}
{{ include "gyre.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gyre.componentLabels" -}}
{{ include "gyre.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gyre.componentName" -}}
{{- printf "%s-%s" (include "gyre.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gyre.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gyre.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gyre.secretName" -}}
{{- default (include "gyre.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "gyre.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
config.json: chart defaults, then .Values.config, then the keys the chart owns (ports, probes'
target, drain window, bus and store wiring). Secrets belong in the Secret: refuse them here.
*/}}
{{- define "gyre.config" -}}
{{- $user := deepCopy (default (dict) .Values.config) }}
{{- range $path := list (list "client" "token" "hmac_secret_key") (list "client" "subscription_token" "hmac_secret_key") (list "http_api" "key") (list "grpc_api" "key") (list "admin" "password") (list "admin" "secret") }}
{{- $v := $user }}
{{- range $k := $path }}{{- if kindIs "map" $v }}{{- $v = get $v $k }}{{- else }}{{- $v = "" }}{{- end }}{{- end }}
{{- if $v }}
{{- fail (printf "config.%s: secrets do not go into the ConfigMap; use secrets.* (or secrets.existingSecret) and CENTRIFUGO_* environment variables" (join "." $path)) }}
{{- end }}
{{- end }}
{{- $defaults := dict "prometheus" (dict "enabled" true) }}
{{- $owned := dict
  "http_server" (dict "port" (int .Values.ports.http) "internal_port" (toString (int .Values.ports.internal)))
  "health" (dict "enabled" true)
  "shutdown" (dict "timeout" (printf "%ds" (int .Values.shutdown.timeoutSeconds)))
  "grpc_api" (dict "enabled" .Values.grpcApi.enabled "port" (int .Values.ports.grpcApi))
  "gyre" (dict
    "bus" (dict "type" "nats" "nats" (dict "url" .Values.nats.url))
    "store" (dict "type" "redis" "redis" (dict "address" .Values.redis.address))) }}
{{- $config := mustMergeOverwrite (dict) $defaults $user $owned }}
{{- toPrettyJson $config }}
{{- end }}

{{/* Refuses a stop budget that Kubernetes would cut short with SIGKILL. */}}
{{- define "gyre.checkShutdown" -}}
{{- $need := add (int .Values.shutdown.preStopSleepSeconds) (int .Values.shutdown.timeoutSeconds) }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $need) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed shutdown.preStopSleepSeconds + shutdown.timeoutSeconds (%d)" (int .Values.terminationGracePeriodSeconds) (int $need)) }}
{{- end }}
{{- if and (eq .Values.shutdown.preStopMode "sleep") (not (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version)) }}
{{- fail "shutdown.preStopMode sleep needs Kubernetes 1.30 or later; use exec" }}
{{- end }}
{{- if not (has .Values.shutdown.preStopMode (list "exec" "sleep")) }}
{{- fail "shutdown.preStopMode must be exec or sleep" }}
{{- end }}
{{- end }}
