// Command dashboardmetrics prints the metric names a Grafana dashboard's
// queries read, one per line, after parsing every query with Prometheus'
// own PromQL parser: the e2e suite checks them against a live gateguard's
// /metrics, so that a renamed metric breaks a test rather than a panel.
//
//	dashboardmetrics dashboard.json
//
// A query that does not parse is an error naming its panel.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dashboardmetrics:", err)
		os.Exit(1)
	}
}

// dashboard is the part of Grafana's dashboard model that holds queries.
type dashboard struct {
	Panels []struct {
		Title   string
		Targets []struct{ Expr string }
	}
	Templating struct {
		List []struct {
			Name       string
			Definition string
		}
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: dashboardmetrics DASHBOARD.json")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	var names []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			return fmt.Errorf("panel %q has no query", p.Title)
		}
		for _, t := range p.Targets {
			got, err := metricNames(t.Expr)
			if err != nil {
				return fmt.Errorf("panel %q: %w", p.Title, err)
			}
			names = append(names, got...)
		}
	}
	for _, v := range d.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
			got, err := metricNames(m[1])
			if err != nil {
				return fmt.Errorf("variable %q: %w", v.Name, err)
			}
			names = append(names, got...)
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		fmt.Println(n)
	}
	return nil
}

// labelValues is Grafana's label_values(SELECTOR, LABEL) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// Grafana replaces its variables before Prometheus sees a query: a range
// variable by a duration, any other by its value (a regexp here).
var (
	rangeVariable = regexp.MustCompile(`\[\$__\w+\]`)
	variable      = regexp.MustCompile(`\$\{?\w+\}?`)
)

// metricNames parses expr and returns the name of every selector in it.
func metricNames(expr string) ([]string, error) {
	q := variable.ReplaceAllString(rangeVariable.ReplaceAllString(expr, "[5m]"), ".*")
	ast, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	var names []string
	var missing error
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if vs.Name == "" {
				missing = fmt.Errorf("query %q: a selector without a metric name", expr)
			}
			names = append(names, vs.Name)
		}
		return nil
	})
	return names, missing
}
