package nrf

import (
	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	registeredDesc = prometheus.NewDesc("corebox_nrf_registered_nfs",
		"NF instances registered and discoverable (nfStatus REGISTERED), by NF type.", []string{"nf_type"}, nil)
	instancesDesc = prometheus.NewDesc("corebox_nrf_nf_instances",
		"NF instances held, by NF type and nfStatus.", []string{"nf_type", "status"}, nil)
	subscriptionsDesc = prometheus.NewDesc("corebox_nrf_subscriptions",
		"Status subscriptions held.", nil, nil)
)

// gaugeCollector reads the registry at scrape time, so the gauges cannot
// drift from what the NRF holds.
type gaugeCollector struct {
	reg  *registry
	subs *subscriptions
}

func (g *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- registeredDesc
	ch <- instancesDesc
	ch <- subscriptionsDesc
}

func (g *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	registered := map[string]int{}
	for k, v := range g.reg.counts() {
		ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(v), k[0], k[1])
		if k[1] == string(models.Nrf_NFMgmt_NFStatus_REGISTERED) {
			registered[k[0]] += v
		}
	}
	for t, v := range registered {
		ch <- prometheus.MustNewConstMetric(registeredDesc, prometheus.GaugeValue, float64(v), t)
	}
	ch <- prometheus.MustNewConstMetric(subscriptionsDesc, prometheus.GaugeValue, float64(g.subs.len()))
}
