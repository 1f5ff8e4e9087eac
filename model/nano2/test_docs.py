"""Unit tests of docs.py's page rules and data.py's sources (run by test/unit/nano2-python.test.ts):
    /usr/bin/python3 -m unittest model/nano2/test_docs.py
"""
import ast
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import docs  # noqa: E402


class Title(unittest.TestCase):
    def title(self, raw):
        pg = docs.Page('x.html')
        pg.title = raw
        return docs.page_title(pg)

    def test_sphinx_project_suffixes_go(self):
        self.assertEqual(self.title('The Application Context \u2014 Flask Documentation (2.2.x)'), 'The Application Context')
        self.assertEqual(self.title('add_compile_definitions \u2014 CMake 3.25.1 Documentation'), 'add_compile_definitions')
        self.assertEqual(self.title('scipy.linalg.svd \u2014 SciPy v1.10.1 Manual'), 'scipy.linalg.svd')
        self.assertEqual(self.title('pandas.DataFrame.merge \u2014 pandas 1.5.3 documentation'), 'pandas.DataFrame.merge')

    def test_the_first_five_sites_read_as_before(self):
        self.assertEqual(self.title('Getting Started \u2014 Sphinx documentation'), 'Getting Started')
        self.assertEqual(self.title('std::vec::Vec - Rust'), 'std::vec::Vec')
        self.assertEqual(self.title('Path | Node.js v18.20.4 Documentation'), 'Path')

    def test_a_title_that_only_mentions_documentation_stays(self):
        self.assertEqual(self.title('Writing documentation'), 'Writing documentation')


class NeverRead(unittest.TestCase):
    def test_faq_pages_by_path_and_by_title(self):
        for path in ('html/faq.html', 'html/community/faq.html', 'html/dev/contributor/building_faq.html'):
            self.assertTrue(docs.SKIP_PATH.search(path), path)
        for title in ('Frequently Asked Questions (FAQ)', 'FAQ', 'Installation FAQs'):
            self.assertTrue(docs.FAQ_TITLE.search(title), title)
        self.assertFalse(docs.FAQ_TITLE.search('Asking questions of a DataFrame'))

    def test_evaluation_sites_are_not_training_packages(self):
        self.assertFalse(docs.EVALUATION_SITES & set(docs.PACKAGES))
        self.assertEqual(set(docs.ROOTS), set(docs.PACKAGES))


class Sources(unittest.TestCase):
    def test_every_package_has_one_source(self):
        self.assertFalse(set(data.PKG_SOURCE) & set(data.MORE))
        self.assertEqual(set(data.PKG_SOURCE) | set(data.MORE), set(docs.PACKAGES))
        self.assertTrue(set(data.PKG_SOURCE.values()) | set(data.MORE.values()) <= set(data.SOURCES))
        self.assertEqual(data.MORE['python-scipy-doc'], 'pysci')
        self.assertEqual(data.MORE['python-flask-doc'], 'pylibs')

    def test_the_trainer_numbers_sources_as_the_bundle_does(self):
        # train_gpu.py is self-contained (it is copied alone to a GPU machine), so it keeps a copy
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'train_gpu.py')) as f:
            tree = ast.parse(f.read())
        copy = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and getattr(n.targets[0], 'id', '') == 'SOURCES')
        self.assertEqual(copy, data.SOURCES)


if __name__ == '__main__':
    unittest.main()
