// Command promql-names parses PromQL expressions with Prometheus's own parser and prints the metric
// names each one reads. deploy/monitoring/check-dashboards feeds it every dashboard query and compares
// the names with what the processes expose.
//
// Input (stdin): a JSON array of {"id": "...", "expr": "..."}.
// Output (stdout): a JSON array of {"id": "...", "metrics": ["..."], "error": "..."}; error is set when
// the expression does not parse, or when a selector names no metric (a {__name__=~...} match cannot be
// checked against a list, so it is refused).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type query struct {
	ID   string `json:"id"`
	Expr string `json:"expr"`
}

type result struct {
	ID      string   `json:"id"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

func names(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var bad error
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
		}
		if name == "" {
			bad = fmt.Errorf("selector %s names no metric", vs.String())
			return nil
		}
		seen[name] = true
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func main() {
	var in []query
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "promql-names: stdin is not a JSON array of {id, expr}:", err)
		os.Exit(2)
	}
	out := make([]result, 0, len(in))
	for _, q := range in {
		r := result{ID: q.ID, Metrics: []string{}}
		if ms, err := names(q.Expr); err != nil {
			r.Error = err.Error()
		} else {
			r.Metrics = ms
		}
		out = append(out, r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "promql-names:", err)
		os.Exit(1)
	}
}
