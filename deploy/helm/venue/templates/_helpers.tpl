{{/* Name of every object: the release name, then the component. */}}
{{- define "venue.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "venue.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/part-of: venue
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" . "component" "venue") */}}
{{- define "venue.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "venue.componentLabels" -}}
{{ include "venue.labels" .root }}
{{ include "venue.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
venue.example/color: {{ .root.Values.color }}
{{- end -}}

{{/* Image of a component: (dict "root" . "name" "venue" "tag" "") */}}
{{- define "venue.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .name (.tag | default .root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{- define "venue.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "venue.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Anti-affinity: replicas of a component never share a node, and prefer other zones. */}}
{{- define "venue.affinity" -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: {{ .root.Values.antiAffinity.topologyKey }}
      labelSelector:
        matchLabels:
          app.kubernetes.io/name: {{ .component }}
          app.kubernetes.io/part-of: venue
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: {{ .root.Values.antiAffinity.zoneKey }}
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: {{ .component }}
            app.kubernetes.io/part-of: venue
{{- end -}}

{{/* Probes on the metrics port: (dict "port" 19101 "startupSeconds" 900) */}}
{{- define "venue.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: {{ div .startupSeconds 5 | max 1 }}
livenessProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: metrics}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end -}}

{{- define "venue.credentialsSecret" -}}
{{- if eq .Values.secrets.mode "existing" -}}{{ required "secrets.existing.credentials is required when secrets.mode is existing" .Values.secrets.existing.credentials }}{{- else -}}{{ include "venue.fullname" . }}-credentials{{- end -}}
{{- end -}}

{{- define "venue.tlsSecret" -}}
{{- if eq .Values.secrets.mode "existing" -}}{{ .Values.secrets.existing.tls }}{{- else -}}{{ include "venue.fullname" . }}-fix-tls{{- end -}}
{{- end -}}

{{/* "true" when the FIX listeners have a TLS key pair, else "". */}}
{{- define "venue.tlsEnabled" -}}
{{- $s := .Values.secrets -}}
{{- if eq $s.mode "inline" -}}
{{- if and $s.inline.tlsCrt $s.inline.tlsKey -}}true{{- end -}}
{{- else if eq $s.mode "existing" -}}
{{- if $s.existing.tls -}}true{{- end -}}
{{- else -}}true{{- end -}}
{{- end -}}

{{- define "venue.stdEnv" -}}
- name: VENUE_KAFKA_BROKERS
  value: {{ .Values.kafka.brokers | quote }}
- name: VENUE_POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
{{- end -}}

{{/* The Secret holding operator-users.toml (the operator API's [[operator_api.user]] tables). */}}
{{- define "venue.operatorUsersSecret" -}}
{{- if eq .Values.secrets.mode "existing" -}}{{ required "secrets.existing.operatorUsers is required when secrets.mode is existing and venue.operatorApi.enabled" .Values.secrets.existing.operatorUsers }}{{- else -}}{{ include "venue.fullname" . }}-operator-users{{- end -}}
{{- end -}}

{{/* The operator API's URL inside the venue pod (venuectl's default there). */}}
{{- define "venue.operatorApiLocalUrl" -}}
{{ if .Values.venue.operatorApi.tlsSecret }}https{{ else }}http{{ end }}://127.0.0.1:{{ .Values.venue.ports.operatorApi }}
{{- end -}}
