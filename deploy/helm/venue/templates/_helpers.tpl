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
app.kubernetes.io/name: {{ .component }}
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
{{- /* Required: no two pods of one process, release and track (stable, canary) on one node, so a
node failure takes at most one replica; replicas must not exceed the nodes that may run them.
Preferred: spread over zones, and away from the other colour's and the canary's pods of the process.
(dict "root" . "component" "risk" ["track" "stable"]) */ -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: {{ .root.Values.antiAffinity.topologyKey }}
      labelSelector:
        matchLabels:
          app.kubernetes.io/name: {{ .component }}
          app.kubernetes.io/instance: {{ .root.Release.Name }}
          {{- with .track }}
          venue.example/track: {{ . }}
          {{- end }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: {{ .root.Values.antiAffinity.zoneKey }}
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: {{ .component }}
            app.kubernetes.io/part-of: venue
    - weight: 50
      podAffinityTerm:
        topologyKey: {{ .root.Values.antiAffinity.topologyKey }}
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

{{/* Kafka transport security (values kafka.*), the same for every process: (dict "root" . "process" "venue"). */}}
{{- define "venue.kafkaTls" -}}
{{- if has .Values.kafka.securityProtocol (list "ssl" "sasl_ssl") }}true{{ end -}}
{{- end -}}

{{- define "venue.kafkaSasl" -}}
{{- if has .Values.kafka.securityProtocol (list "sasl_plaintext" "sasl_ssl") }}true{{ end -}}
{{- end -}}

{{/* The Secret holding the processes' Kafka SASL passwords (keys <process>-kafka-password). */}}
{{- define "venue.kafkaSecret" -}}
{{- if eq .Values.secrets.mode "existing" -}}{{ required "secrets.existing.kafka is required when secrets.mode is existing and kafka.securityProtocol is sasl_*" .Values.secrets.existing.kafka }}{{- else -}}{{ include "venue.fullname" . }}-kafka{{- end -}}
{{- end -}}

{{/* The connection keys of a process's [kafka] table (common/src/kafka_config.cpp). */}}
{{- define "venue.kafkaConnection" -}}
{{- $k := .root.Values.kafka -}}
{{- $c := index $k.clients .process -}}
brokers = "$VENUE_KAFKA_BROKERS"
security_protocol = {{ $k.securityProtocol | quote }}
{{- if eq (include "venue.kafkaTls" .root) "true" }}
{{- if or $k.tls.caSecret $k.tls.caConfigMap }}
ssl_ca_file = "/etc/venue/kafka-ca/{{ $k.tls.caKey }}"
{{- end }}
ssl_verify_hostname = {{ $k.tls.verifyHostname }}
{{- if $c.tlsSecret }}
ssl_certificate_file = "/etc/venue/kafka-client/tls.crt"
ssl_key_file = "/etc/venue/kafka-client/tls.key"
{{- end }}
{{- end }}
{{- if eq (include "venue.kafkaSasl" .root) "true" }}
sasl_mechanism = {{ $k.sasl.mechanism | quote }}
sasl_username = {{ $c.saslUsername | quote }}
sasl_password = "$VENUE_KAFKA_SASL_PASSWORD"
{{- end }}
{{- end -}}

{{/* Environment of a process's Kafka client: the SASL password from its Secret. */}}
{{- define "venue.kafkaEnv" -}}
{{- if eq (include "venue.kafkaSasl" .root) "true" }}
- name: VENUE_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "venue.kafkaSecret" .root }}
      key: {{ .process }}-kafka-password
{{- end }}
{{- end -}}

{{- define "venue.kafkaVolumeMounts" -}}
{{- $k := .root.Values.kafka -}}
{{- if eq (include "venue.kafkaTls" .root) "true" }}
{{- if or $k.tls.caSecret $k.tls.caConfigMap }}
- {name: kafka-ca, mountPath: /etc/venue/kafka-ca, readOnly: true}
{{- end }}
{{- if (index $k.clients .process).tlsSecret }}
- {name: kafka-client, mountPath: /etc/venue/kafka-client, readOnly: true}
{{- end }}
{{- end }}
{{- end -}}

{{- define "venue.kafkaVolumes" -}}
{{- $k := .root.Values.kafka -}}
{{- if eq (include "venue.kafkaTls" .root) "true" }}
{{- if $k.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ $k.tls.caSecret }}
    items: [{key: {{ $k.tls.caKey }}, path: {{ $k.tls.caKey }}}]
    defaultMode: 0444
{{- else if $k.tls.caConfigMap }}
- name: kafka-ca
  configMap:
    name: {{ $k.tls.caConfigMap }}
    items: [{key: {{ $k.tls.caKey }}, path: {{ $k.tls.caKey }}}]
    defaultMode: 0444
{{- end }}
{{- with (index $k.clients .process).tlsSecret }}
- name: kafka-client
  secret:
    secretName: {{ . }}
    items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}]
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{/* Refuses Kafka values that no process would accept, with the value to change. */}}
{{- define "venue.kafkaChecks" -}}
{{- $k := .Values.kafka -}}
{{- $tls := eq (include "venue.kafkaTls" .) "true" -}}
{{- $sasl := eq (include "venue.kafkaSasl" .) "true" -}}
{{- if and $k.tls.caSecret $k.tls.caConfigMap }}
{{- fail "kafka.tls: give caSecret or caConfigMap, not both" }}
{{- end }}
{{- if and (not $tls) (or $k.tls.caSecret $k.tls.caConfigMap) }}
{{- fail (printf "kafka.tls.caSecret/caConfigMap need kafka.securityProtocol ssl or sasl_ssl (it is %s)" $k.securityProtocol) }}
{{- end }}
{{- if and (eq $k.securityProtocol "sasl_plaintext") (eq $k.sasl.mechanism "PLAIN") }}
{{- fail "kafka.sasl.mechanism PLAIN sends the password in clear: use kafka.securityProtocol sasl_ssl" }}
{{- end }}
{{- range $p := list "venue" "dropcopy" "compliance" "risk" }}
{{- if (index $.Values $p).enabled }}
{{- $c := index $k.clients $p }}
{{- if and $c.tlsSecret (not $tls) }}
{{- fail (printf "kafka.clients.%s.tlsSecret (a client certificate) needs kafka.securityProtocol ssl or sasl_ssl (it is %s)" $p $k.securityProtocol) }}
{{- end }}
{{- if and $sasl (not $c.saslUsername) }}
{{- fail (printf "kafka.clients.%s.saslUsername is required with kafka.securityProtocol %s" $p $k.securityProtocol) }}
{{- end }}
{{- if and $sasl (eq $.Values.secrets.mode "inline") (not (index $.Values.secrets.inline.kafkaPasswords $p)) }}
{{- fail (printf "secrets.inline.kafkaPasswords.%s is required with kafka.securityProtocol %s (or secrets.mode existing/external)" $p $k.securityProtocol) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
