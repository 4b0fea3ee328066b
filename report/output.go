package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/gateguard/gateguard/rules"
)

// WriteText prints kubectl-like lines, file:line: Kind ns/name: field:
// message [rule], the mutations, and a summary line.
func WriteText(w io.Writer, r *Report) error {
	for _, f := range r.Findings {
		if f.File != "" {
			fmt.Fprintf(w, "%s:%d: ", f.File, f.Line)
		}
		fmt.Fprintf(w, "%s %s: %s: %s: %s [%s]\n", f.Object.Kind, objectName(f.Object), f.Field, f.Action, f.Message, f.Rule)
	}
	for _, m := range r.Mutations {
		value, _ := json.Marshal(m.Value)
		fmt.Fprintf(w, "%s:%d: %s %s: %s: would be set to %s [%s]\n", m.File, m.Line, m.Object.Kind,
			objectName(m.Object), m.Field, value, m.Rule)
	}
	_, err := fmt.Fprintf(w, "%d objects checked: %d denied, %d warned, %d fields defaulted; %d documents of other kinds ignored\n",
		r.Summary.Objects, r.Summary.Denied, r.Summary.Warned, len(r.Mutations), r.Ignored)
	return err
}

func objectName(o ObjectRef) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

// WriteJSON prints the report as one JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// sarifLog is the subset of SARIF 2.1.0 that GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifText      `json:"shortDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// WriteSARIF prints SARIF 2.1.0: every rule of the catalog with its help,
// and one result per finding, error for deny and warning for warn.
func WriteSARIF(w io.Writer, r *Report, version string) error {
	catalog := rules.Catalog()
	driver := sarifDriver{Name: "gateguard", InformationURI: "https://github.com/gateguard/gateguard", Version: version}
	for _, rule := range catalog {
		driver.Rules = append(driver.Rules, sarifRule{
			ID: string(rule.ID), ShortDescription: sarifText{rule.Summary},
			Help:                 sarifText{rule.Summary + " See the README's rule table for the Istio behaviour behind it."},
			DefaultConfiguration: sarifRuleLevel{sarifLevel(rule.DefaultAction)},
		})
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:    string(f.Rule),
			RuleIndex: slices.IndexFunc(catalog, func(x rules.Rule) bool { return x.ID == f.Rule }),
			Level:     sarifLevel(f.Action),
			Message:   sarifText{fmt.Sprintf("%s %s: %s: %s", f.Object.Kind, objectName(f.Object), f.Field, f.Message)},
		}
		if f.File != "" { // an audited cluster object has no file
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: f.File}, Region: sarifRegion{StartLine: f.Line},
			}}}
		}
		results = append(results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}})
}

func sarifLevel(a rules.Action) string {
	if a == rules.Deny {
		return "error"
	}
	return "warning"
}
