package emulator

import (
	"strconv"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// opportunityStage is what an org's OpportunityStage says about a stage:
// whether it closes the deal, wins it, its default probability and its
// forecast category.
type opportunityStage struct {
	closed, won bool
	probability float64
	forecast    string // ForecastCategory API value; ForecastCategoryName is its label
}

// standardStages are the stages of a new org's Opportunity StageName.
var standardStages = map[string]opportunityStage{
	"Prospecting":          {probability: 10, forecast: "Pipeline"},
	"Qualification":        {probability: 10, forecast: "Pipeline"},
	"Needs Analysis":       {probability: 20, forecast: "Pipeline"},
	"Value Proposition":    {probability: 50, forecast: "Pipeline"},
	"Id. Decision Makers":  {probability: 60, forecast: "Pipeline"},
	"Perception Analysis":  {probability: 70, forecast: "Pipeline"},
	"Proposal/Price Quote": {probability: 75, forecast: "Pipeline"},
	"Negotiation/Review":   {probability: 90, forecast: "Pipeline"},
	"Closed Won":           {closed: true, won: true, probability: 100, forecast: "Closed"},
	"Closed Lost":          {closed: true, probability: 0, forecast: "Omitted"},
}

var forecastLabels = map[string]string{"Omitted": "Omitted", "Pipeline": "Pipeline", "BestCase": "Best Case", "Forecast": "Commit", "Closed": "Closed"}

// deriveOpportunity keeps an Opportunity's stage-driven fields consistent
// as Salesforce does: IsClosed, IsWon and the forecast category follow
// StageName; Probability takes the stage's default when the stage is set
// without one; FiscalYear, FiscalQuarter and Fiscal follow CloseDate (a
// fiscal year starting in January, as the Organization says).
func deriveOpportunity(rec store.Record, body map[string]any, creating bool) {
	stageSet, probSet := creating, false
	for k := range body {
		switch {
		case strings.EqualFold(k, "StageName"):
			stageSet = true
		case strings.EqualFold(k, "Probability"):
			probSet = true
		}
	}
	if st, ok := standardStages[str(rec["StageName"])]; ok {
		rec["IsClosed"] = st.closed
		rec["IsWon"] = st.won
		if stageSet {
			rec["ForecastCategory"] = st.forecast
			rec["ForecastCategoryName"] = forecastLabels[st.forecast]
			if !probSet {
				rec["Probability"] = st.probability
			}
		}
	}
	if d, err := time.Parse("2006-01-02", str(rec["CloseDate"])); err == nil {
		q := (int(d.Month())-1)/3 + 1
		rec["FiscalYear"] = float64(d.Year())
		rec["FiscalQuarter"] = float64(q)
		rec["Fiscal"] = strconv.Itoa(d.Year()) + " " + strconv.Itoa(q)
	}
}
