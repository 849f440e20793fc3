import dash

from tests.browser.helpers import browser_errors


def test_home_links_every_page_and_the_navbar_navigates(gradlab):
    gradlab.driver.get(gradlab.server_url + "/")
    gradlab.wait_for_element(".page-list")
    pages = [p for p in dash.page_registry.values()
             if p["path"] != "/" and not p.get("hidden_from_menu")]
    listed = [a.get_attribute("pathname") for a in gradlab.find_elements(".page-list a")]
    assert listed == [p["path"] for p in pages] and len(pages) >= 2
    nav = [a.get_attribute("pathname") for a in gradlab.find_elements(".navbar a:not(.skip-link)")]
    assert nav == ["/"] + [p["path"] for p in pages]

    gradlab.find_element("#home-tour").click()  # the landing page leads into the tour
    gradlab.wait_for_text_to_equal("#tour-count", "step 1 of 10")

    gradlab.find_element(".navbar a[href='/matrix']").click()
    gradlab.wait_for_element("#matrix-gradients .js-plotly-plot")
    gradlab.find_element(".navbar a[href='/chain']").click()
    gradlab.wait_for_element("#chain-gradients .js-plotly-plot")
    assert gradlab.driver.current_url.split("?")[0].endswith("/chain")
    assert browser_errors(gradlab) == []
