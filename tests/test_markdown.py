from postmortems.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("**bold** and `code`\n\n- a\n- b")
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html and "<li>a</li>" in html


def test_raw_html_scripts_and_handlers_are_removed():
    html = render_markdown("<script>alert(1)</script><img src=x onerror=alert(1)>")
    assert "<script" not in html and "onerror" not in html


def test_dangerous_link_schemes_are_dropped_and_links_get_rel():
    html = render_markdown("[a](javascript:alert(1)) [b](https://example.com)")
    assert "javascript:" not in html
    assert '<a href="https://example.com" rel="noopener nofollow">b</a>' in html


def test_images_only_load_over_http():
    assert "src" not in render_markdown("![x](data:image/png;base64,AAAA)")
    assert "src" not in render_markdown("![x](/relative.png)")
    assert 'src="https://example.com/a.png"' in render_markdown("![x](https://example.com/a.png)")
